// SPDX-License-Identifier: GPL-2.0
/*
 * Log lines go to stderr with a syslog priority prefix ("<3>" ...), which
 * journald (SyslogLevelPrefix=, on by default) turns into the line's
 * priority and strips; on a terminal the prefix is "handshaked: ".  The
 * only state is set once at start-up: the verbosity and which prefix.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "log.h"

static bool verbose;
static bool journal;

void log_set_verbose(bool v)
{
	verbose = v;
	journal = getenv("JOURNAL_STREAM") != NULL;
}

bool log_verbose(void)
{
	return verbose;
}

static void vlog(const char *prefix, const char *fmt, va_list ap)
{
	char line[2048];
	size_t n;
	int len;

	len = snprintf(line, sizeof(line), "%s",
		       journal ? prefix : "handshaked: ");
	n = len < 0 ? 0 : (size_t)len;
	len = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	if (len < 0)
		len = 0;
	n += (size_t)len < sizeof(line) - n - 1 ? (size_t)len
						 : sizeof(line) - n - 2;
	line[n++] = '\n';
	/* One write per line, so the lines of a busy daemon never mix. */
	if (write(STDERR_FILENO, line, n) < 0)
		return;
}

void log_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("<3>", fmt, ap);
	va_end(ap);
}

void log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("<4>", fmt, ap);
	va_end(ap);
}

void log_notice(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("<5>", fmt, ap);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	if (!verbose)
		return;
	va_start(ap, fmt);
	vlog("<6>", fmt, ap);
	va_end(ap);
}
