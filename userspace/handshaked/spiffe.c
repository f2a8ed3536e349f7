// SPDX-License-Identifier: GPL-2.0
/*
 * SPIFFE ID parsing.  See spiffe.h; the rules are those of
 * https://github.com/spiffe/spiffe/blob/main/standards/SPIFFE-ID.md
 * (section 2) for a workload's ID, which always has a path.
 */
#include <stdbool.h>
#include <string.h>

#include "spiffe.h"

#define SCHEME		"spiffe://"
#define SCHEME_LEN	(sizeof(SCHEME) - 1)

static bool td_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '-' || c == '_';
}

static bool path_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
}

static int fail(const char **why, const char *reason)
{
	if (why)
		*why = reason;
	return -1;
}

int spiffe_id_parse(const char *id, size_t len, char *td, const char **why)
{
	size_t i, td_len, seg_start;

	if (len > SPIFFE_ID_MAX_LEN)
		return fail(why, "longer than 2048 bytes");
	if (len < SCHEME_LEN || memcmp(id, SCHEME, SCHEME_LEN) != 0)
		return fail(why, "scheme is not \"spiffe://\"");

	for (i = SCHEME_LEN; i < len && id[i] != '/'; i++) {
		char c = id[i];

		if (c == ':')
			return fail(why, "trust domain has a port");
		if (c == '@')
			return fail(why, "trust domain has user info");
		if (c >= 'A' && c <= 'Z')
			return fail(why, "trust domain is not lowercase");
		if (c == '?' || c == '#')
			return fail(why, "has a query or fragment");
		if (!td_char(c))
			return fail(why, "bad character in trust domain");
	}
	td_len = i - SCHEME_LEN;
	if (td_len == 0)
		return fail(why, "empty trust domain");
	if (td_len > SPIFFE_TD_MAX_LEN)
		return fail(why, "trust domain longer than 255 characters");
	/* It names a directory of the SVID store: never "." or "..". */
	if ((td_len == 1 && id[SCHEME_LEN] == '.') ||
	    (td_len == 2 && id[SCHEME_LEN] == '.' && id[SCHEME_LEN + 1] == '.'))
		return fail(why, "trust domain is \".\" or \"..\"");
	if (i == len)
		return fail(why, "no path (a trust domain, not a workload)");

	/* id[i] == '/': one or more segments follow. */
	while (i < len) {
		seg_start = ++i;
		for (; i < len && id[i] != '/'; i++) {
			char c = id[i];

			if (c == '?' || c == '#')
				return fail(why, "has a query or fragment");
			if (c == '%')
				return fail(why, "percent-encoding in path");
			if (!path_char(c))
				return fail(why, "bad character in path");
		}
		if (i == seg_start)
			return fail(why, i == len ? "trailing \"/\" in path"
						  : "empty path segment");
		if ((i - seg_start == 1 && id[seg_start] == '.') ||
		    (i - seg_start == 2 && id[seg_start] == '.' &&
		     id[seg_start + 1] == '.'))
			return fail(why, "\".\" or \"..\" path segment");
	}

	if (td) {
		memcpy(td, id + SCHEME_LEN, td_len);
		td[td_len] = '\0';
	}
	return 0;
}

int spiffe_id_check(const char *id, char *td, const char **why)
{
	return spiffe_id_parse(id, strnlen(id, SPIFFE_ID_MAX_LEN + 1), td, why);
}

void spiffe_printable(char *dst, size_t dstlen, const char *src, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len && n + 1 < dstlen; i++) {
		unsigned char c = (unsigned char)src[i];

		dst[n++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	dst[n] = '\0';
	if (i < len && dstlen > 4)
		memcpy(dst + dstlen - 4, "...", 4);
}
