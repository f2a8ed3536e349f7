/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Logging to stderr, one line per event; journald adds the time and the
 * unit.  Errors, warnings and notices always print; info lines only with
 * --verbose.
 */
#ifndef HANDSHAKED_LOG_H
#define HANDSHAKED_LOG_H

#include <stdbool.h>

/* Set once at start-up, before any log line (the default is quiet). */
void log_set_verbose(bool verbose);
bool log_verbose(void);

void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Start and stop lines: always printed, at notice priority. */
void log_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* HANDSHAKED_LOG_H */
