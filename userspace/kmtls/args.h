/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Command-line grammar helpers: options, keyword lookup by unique prefix,
 * strict number parsing.  Pure functions: nothing here prints.
 */
#ifndef KMTLS_ARGS_H
#define KMTLS_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

struct kmtls_opts {
	bool json;
	bool pretty;	/* implies json */
	bool help;
	bool version;
};

/*
 * Parse the options in front of the object: -j/--json, -p/--pretty,
 * -V/--version, -h/--help; short options may be combined (-jp), long ones
 * abbreviated to a unique prefix (--pre); "--" ends the options.  Returns
 * the index of the first argument after the options (argc if none), or -1
 * with *bad set to the offending argument.
 */
int args_parse_opts(int argc, char **argv, struct kmtls_opts *opts,
		    const char **bad);

#define ARGS_UNKNOWN	-1
#define ARGS_AMBIGUOUS	-2

/*
 * Find arg in a table of n entries of size stride whose first member is
 * the entry's name (a const char *): an exact match, else the one entry arg
 * is a prefix of.  Returns its index, ARGS_UNKNOWN or ARGS_AMBIGUOUS.  An
 * empty arg matches nothing.
 */
int args_find(const char *arg, const void *table, size_t n, size_t stride);

#define ARGS_FIND(arg, table) \
	args_find((arg), (table), ARRAY_SIZE(table), sizeof((table)[0]))

/* Name of entry i of such a table. */
const char *args_name(const void *table, size_t stride, size_t i);

/* Is arg a non-empty prefix of word? */
bool args_is_prefix(const char *arg, const char *word);

/*
 * Parse a decimal unsigned 32-bit number: digits only (no sign, no spaces,
 * no base prefix, nothing after).  Returns 0, -EINVAL for anything that is
 * not such a number, or -ERANGE when it does not fit.
 */
int args_parse_u32(const char *s, uint32_t *val);

/* The same for an unsigned 64-bit number. */
int args_parse_u64(const char *s, uint64_t *val);

#endif /* KMTLS_ARGS_H */
