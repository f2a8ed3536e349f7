/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Minimal TAP for the unit tests: "ok N - name" / "not ok N - name", the
 * plan "1..N" at the end, exit status 1 if anything failed.  Header-only;
 * each test program includes it once.
 */
#ifndef KMTLS_TAP_H
#define KMTLS_TAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_count;
static int tap_failed;

static inline bool __attribute__((format(printf, 2, 3)))
ok(bool pass, const char *fmt, ...)
{
	va_list ap;

	tap_count++;
	if (!pass)
		tap_failed++;
	printf("%sok %d - ", pass ? "" : "not ", tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	return pass;
}

static inline void diag_str(const char *what, const char *s)
{
	printf("#   %s: \"", what);
	for (; s && *s; s++) {
		if (*s == '\n')
			fputs("\\n", stdout);
		else
			putchar(*s);
	}
	puts("\"");
}

static inline bool is_str(const char *got, const char *want, const char *name)
{
	bool pass = got && strcmp(got, want) == 0;

	if (!ok(pass, "%s", name)) {
		diag_str("got ", got ? got : "(null)");
		diag_str("want", want);
	}
	return pass;
}

static inline bool is_int(long long got, long long want, const char *name)
{
	bool pass = got == want;

	if (!ok(pass, "%s", name))
		printf("#   got %lld, want %lld\n", got, want);
	return pass;
}

static int tap_done(void)
{
	printf("1..%d\n", tap_count);
	if (tap_failed)
		printf("# %d of %d failed\n", tap_failed, tap_count);
	fflush(stdout);
	return tap_failed ? 1 : 0;
}

/* Capture what a function writes to a FILE. */
struct capture {
	FILE *f;
	char *buf;
	size_t len;
};

static inline FILE *capture_start(struct capture *c)
{
	c->buf = NULL;
	c->len = 0;
	c->f = open_memstream(&c->buf, &c->len);
	return c->f;
}

/* The captured text, owned by c until capture_free(). */
static inline const char *capture_end(struct capture *c)
{
	fclose(c->f);
	c->f = NULL;
	return c->buf;
}

static inline void capture_free(struct capture *c)
{
	free(c->buf);
	c->buf = NULL;
}

#endif /* KMTLS_TAP_H */
