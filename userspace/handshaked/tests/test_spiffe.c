// SPDX-License-Identifier: GPL-2.0
/* SPIFFE ID parsing: a table of valid and invalid IDs. */
#include <string.h>

#include "../../kmtls/tests/tap.h"
#include "spiffe.h"

struct row {
	const char *id;
	const char *td;		/* NULL: must be rejected */
};

static const struct row rows[] = {
	{ "spiffe://example.org/web", "example.org" },
	{ "spiffe://example.org/ns/default/sa/web", "example.org" },
	{ "spiffe://a/b", "a" },
	{ "spiffe://td-1.example_x/Path.With-All_chars09", "td-1.example_x" },
	{ "spiffe://example.org/a.b/..c/.d", "example.org" },
	{ "spiffe://example.org/x/.../y", "example.org" },
	/* scheme */
	{ "", NULL },
	{ "spiffe:/example.org/web", NULL },
	{ "SPIFFE://example.org/web", NULL },
	{ "Spiffe://example.org/web", NULL },
	{ "https://example.org/web", NULL },
	{ "spiffe//example.org/web", NULL },
	/* trust domain */
	{ "spiffe:///web", NULL },
	{ "spiffe://Example.org/web", NULL },
	{ "spiffe://example.org:443/web", NULL },
	{ "spiffe://user@example.org/web", NULL },
	{ "spiffe://exa mple.org/web", NULL },
	{ "spiffe://exa%41mple.org/web", NULL },
	{ "spiffe://./web", NULL },
	{ "spiffe://../web", NULL },
	{ "spiffe://example.org?x/web", NULL },
	/* path */
	{ "spiffe://example.org", NULL },
	{ "spiffe://example.org/", NULL },
	{ "spiffe://example.org/web/", NULL },
	{ "spiffe://example.org//web", NULL },
	{ "spiffe://example.org/a//b", NULL },
	{ "spiffe://example.org/.", NULL },
	{ "spiffe://example.org/..", NULL },
	{ "spiffe://example.org/a/./b", NULL },
	{ "spiffe://example.org/a/../b", NULL },
	{ "spiffe://example.org/web?x=1", NULL },
	{ "spiffe://example.org/web#frag", NULL },
	{ "spiffe://example.org/we%20b", NULL },
	{ "spiffe://example.org/we b", NULL },
	{ "spiffe://example.org/wé", NULL },
	{ "spiffe://example.org/a:b", NULL },
};

int main(void)
{
	char td[SPIFFE_TD_MAX_LEN + 1];
	char big[SPIFFE_ID_MAX_LEN + 16];
	char shown[16];
	const char *why;
	size_t i;
	int ret;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		why = NULL;
		td[0] = '\0';
		ret = spiffe_id_check(rows[i].id, td, &why);
		if (rows[i].td) {
			if (!ok(ret == 0 && strcmp(td, rows[i].td) == 0,
				"valid: %s", rows[i].id))
				printf("#   ret %d td \"%s\" why %s\n", ret, td,
				       why ? why : "-");
		} else {
			if (!ok(ret == -1 && why && *why, "invalid: \"%s\" (%s)",
				rows[i].id, why ? why : "accepted"))
				printf("#   ret %d\n", ret);
		}
	}

	/* An embedded NUL is not cut off: the whole length is checked. */
	ret = spiffe_id_parse("spiffe://a.org/x\0y", 18, td, &why);
	ok(ret == -1, "NUL inside the ID is rejected");

	/* Lengths: 2048 bytes is fine, 2049 is not; a 256-byte trust domain is not. */
	memset(big, 'a', sizeof(big));
	memcpy(big, "spiffe://a.org/", 15);
	ok(spiffe_id_parse(big, SPIFFE_ID_MAX_LEN, td, NULL) == 0,
	   "a 2048-byte ID is valid");
	ok(spiffe_id_parse(big, SPIFFE_ID_MAX_LEN + 1, td, &why) == -1,
	   "a 2049-byte ID is too long");
	memset(big, 'b', sizeof(big));
	memcpy(big, "spiffe://", 9);
	big[9 + 255] = '/';
	ok(spiffe_id_parse(big, 9 + 255 + 2, td, NULL) == 0 &&
	   strlen(td) == 255, "a 255-character trust domain is valid");
	big[9 + 255] = 'b';
	big[9 + 256] = '/';
	ok(spiffe_id_parse(big, 9 + 256 + 2, td, &why) == -1,
	   "a 256-character trust domain is not");

	/* td may be NULL. */
	ok(spiffe_id_check("spiffe://a.org/x", NULL, NULL) == 0,
	   "td and why may be NULL");

	spiffe_printable(shown, sizeof(shown), "ab\ncd\x7f", 6);
	is_str(shown, "ab?cd?", "printable: control bytes become ?");
	spiffe_printable(shown, sizeof(shown), "0123456789abcdefghij", 20);
	is_str(shown, "0123456789ab...", "printable: a long string is cut with ...");
	return tap_done();
}
