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
	size_t i;

	for (i = 0; i < n; i++) {
		const char *name = args_name(table, stride, i);

		if (strcmp(arg, name) == 0)
			return (int)i;
		if (!args_is_prefix(arg, name))
			continue;
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

int args_parse_u32(const char *s, uint32_t *val)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end != '\0')
		return -EINVAL;
	if (errno == ERANGE || v > UINT32_MAX)
		return -ERANGE;
	*val = (uint32_t)v;
	return 0;
}
