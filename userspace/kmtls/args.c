// SPDX-License-Identifier: GPL-2.0
/*
 * Command-line grammar helpers, iproute2 style: options first, then
 * keywords that may be shortened to any unique prefix.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"

bool args_is_prefix(const char *arg, const char *word)
{
	size_t len = strlen(arg);

	return len > 0 && strncmp(arg, word, len) == 0;
}

const char *args_name(const void *table, size_t stride, size_t i)
{
	const char *const *name = (const void *)((const char *)table +
						 i * stride);

	return *name;
}

int args_find(const char *arg, const void *table, size_t n, size_t stride)
{
	int found = ARGS_UNKNOWN;
	const char *a, *name;
	size_t i;

	if (!*arg)
		return ARGS_UNKNOWN;
	/* One pass per entry, no libc calls: "policy restore" looks up
	 * keywords of 100,000 lines, in QEMU/TCG guests too. */
	for (i = 0; i < n; i++) {
		name = args_name(table, stride, i);
		for (a = arg; *a && *a == *name; a++, name++)
			;
		if (*a)
			continue;	/* arg is not a prefix of the name */
		if (!*name)
			return (int)i;	/* exact */
		if (found != ARGS_UNKNOWN)
			found = ARGS_AMBIGUOUS;
		else
			found = (int)i;
	}
	return found;
}

static const struct {
	const char *name;
	char c;
} long_opts[] = {
	{ "json", 'j' },
	{ "pretty", 'p' },
	{ "version", 'V' },
	{ "help", 'h' },
};

/* Set the option whose short name is c; false if there is none. */
static bool set_opt(struct kmtls_opts *opts, char c)
{
	switch (c) {
	case 'j':
		opts->json = true;
		break;
	case 'p':
		opts->pretty = true;
		opts->json = true;
		break;
	case 'V':
		opts->version = true;
		break;
	case 'h':
		opts->help = true;
		break;
	default:
		return false;
	}
	return true;
}

int args_parse_opts(int argc, char **argv, struct kmtls_opts *opts,
		    const char **bad)
{
	int i, k;
	const char *p;

	for (i = 1; i < argc; i++) {
		const char *arg = argv[i];

		if (arg[0] != '-' || arg[1] == '\0')
			break;
		if (strcmp(arg, "--") == 0)
			return i + 1;
		if (arg[1] == '-') {
			k = ARGS_FIND(arg + 2, long_opts);
			if (k < 0)
				goto bad;
			set_opt(opts, long_opts[k].c);
			continue;
		}
		for (p = arg + 1; *p; p++)
			if (!set_opt(opts, *p))
				goto bad;
	}
	return i;
bad:
	*bad = argv[i];
	return -1;
}

int args_parse_u64(const char *s, uint64_t *val)
{
	const char *p;
	uint64_t v = 0;
	unsigned int d;

	if (!*s)
		return -EINVAL;
	for (p = s; *p; p++)
		if (*p < '0' || *p > '9')
			return -EINVAL;
	for (p = s; *p; p++) {
		d = (unsigned int)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*val = v;
	return 0;
}

int args_parse_u32(const char *s, uint32_t *val)
{
	uint64_t v;
	int ret;

	ret = args_parse_u64(s, &v);
	if (ret)
		return ret;
	if (v > UINT32_MAX)
		return -ERANGE;
	*val = (uint32_t)v;
	return 0;
}
