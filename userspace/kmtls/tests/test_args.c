// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: option parsing, keyword lookup by prefix, number parsing,
 * and the grammar of whole command lines that never reach the kernel.
 */
#include <errno.h>

#include "args.h"
#include "kmtls.h"
#include "tap.h"

static void test_prefix(void)
{
	static const char *const words[] = { "show", "set", "help" };
	static const char *const over[] = { "st", "status" };
	static const struct { const char *name; int x; } tab[] = {
		{ "status", 1 }, { "config", 2 },
	};

	is_int(ARGS_FIND("show", words), 0, "exact match");
	is_int(ARGS_FIND("sh", words), 0, "unique prefix");
	is_int(ARGS_FIND("se", words), 1, "unique prefix, second entry");
	is_int(ARGS_FIND("h", words), 2, "one-letter prefix");
	is_int(ARGS_FIND("s", words), ARGS_AMBIGUOUS, "ambiguous prefix");
	is_int(ARGS_FIND("shown", words), ARGS_UNKNOWN,
	       "longer than the word");
	is_int(ARGS_FIND("x", words), ARGS_UNKNOWN, "unknown word");
	is_int(ARGS_FIND("", words), ARGS_UNKNOWN, "empty matches nothing");
	is_int(ARGS_FIND("SHOW", words), ARGS_UNKNOWN, "case matters");
	is_int(ARGS_FIND("st", over), 0, "exact match beats a longer word");
	is_int(ARGS_FIND("sta", over), 1, "prefix of the longer word");
	is_int(ARGS_FIND("conf", tab), 1, "struct table");
	ok(args_is_prefix("con", "config") && !args_is_prefix("", "config") &&
	   !args_is_prefix("configs", "config"), "args_is_prefix");
}

static int opts(const char *a, const char *b, const char *c,
		struct kmtls_opts *o, const char **bad)
{
	char *argv[] = { "kmtls", (char *)a, (char *)b, (char *)c, NULL };
	int argc = 1;

	while (argc < 4 && argv[argc])
		argc++;
	*o = (struct kmtls_opts){ 0 };
	*bad = NULL;
	return args_parse_opts(argc, argv, o, bad);
}

static void test_opts(void)
{
	struct kmtls_opts o;
	const char *bad;
	int i;

	i = opts("status", NULL, NULL, &o, &bad);
	ok(i == 1 && !o.json && !o.pretty, "no options");
	i = opts("-j", "status", NULL, &o, &bad);
	ok(i == 2 && o.json && !o.pretty, "-j");
	i = opts("-p", "status", NULL, &o, &bad);
	ok(i == 2 && o.json && o.pretty, "-p implies json");
	i = opts("-jp", "status", NULL, &o, &bad);
	ok(i == 2 && o.json && o.pretty, "combined -jp");
	i = opts("--json", "--pretty", "status", &o, &bad);
	ok(i == 3 && o.json && o.pretty, "--json --pretty");
	i = opts("--pre", "status", NULL, &o, &bad);
	ok(i == 2 && o.pretty, "long option prefix --pre");
	i = opts("-V", NULL, NULL, &o, &bad);
	ok(i == 2 && o.version, "-V");
	i = opts("--vers", NULL, NULL, &o, &bad);
	ok(i == 2 && o.version, "--vers");
	i = opts("-h", NULL, NULL, &o, &bad);
	ok(i == 2 && o.help, "-h");
	i = opts("--help", NULL, NULL, &o, &bad);
	ok(i == 2 && o.help, "--help");
	i = opts("--", "-j", NULL, &o, &bad);
	ok(i == 2 && !o.json, "-- ends options");
	i = opts("-x", "status", NULL, &o, &bad);
	ok(i == -1 && bad && strcmp(bad, "-x") == 0, "unknown short option");
	i = opts("-jx", NULL, NULL, &o, &bad);
	ok(i == -1 && bad && strcmp(bad, "-jx") == 0,
	   "unknown letter in a combined option");
	i = opts("--bogus", NULL, NULL, &o, &bad);
	ok(i == -1, "unknown long option");
	i = opts("--", NULL, NULL, &o, &bad);
	ok(i == 2, "-- alone");
	i = opts("-", NULL, NULL, &o, &bad);
	ok(i == 1, "- alone is not an option");
	i = opts("status", "-j", NULL, &o, &bad);
	ok(i == 1 && !o.json, "options stop at the object");
}

static void u32_ok(const char *s, uint32_t want)
{
	uint32_t v = 0xdeadbeef;
	int ret = args_parse_u32(s, &v);

	ok(ret == 0 && v == want, "parse_u32 \"%s\" = %u", s, want);
}

static void u32_bad(const char *s, int want)
{
	uint32_t v = 0xdeadbeef;
	int ret = args_parse_u32(s, &v);

	ok(ret == want && v == 0xdeadbeef, "parse_u32 rejects \"%s\" (%s)",
	   s, want == -ERANGE ? "ERANGE" : "EINVAL");
}

static void u64_ok(const char *s, uint64_t want)
{
	uint64_t v = 0;
	int ret = args_parse_u64(s, &v);

	ok(ret == 0 && v == want, "parse_u64 \"%s\"", s);
}

static void u64_bad(const char *s, int want)
{
	uint64_t v = 42;
	int ret = args_parse_u64(s, &v);

	ok(ret == want && v == 42, "parse_u64 rejects \"%s\" (%s)", s,
	   want == -EINVAL ? "EINVAL" : "ERANGE");
}

static void test_u64(void)
{
	u64_ok("0", 0);
	u64_ok("4294967296", 4294967296ULL);
	u64_ok("18446744073709551615", UINT64_MAX);
	u64_bad("", -EINVAL);
	u64_bad("-1", -EINVAL);
	u64_bad("1 ", -EINVAL);
	u64_bad("0x1", -EINVAL);
	u64_bad("18446744073709551616", -ERANGE);
	u64_bad("99999999999999999999999", -ERANGE);
}

static void test_u32(void)
{
	u32_ok("0", 0);
	u32_ok("100", 100);
	u32_ok("600000", 600000);
	u32_ok("4294967295", UINT32_MAX);
	u32_ok("007", 7);
	u32_bad("", -EINVAL);
	u32_bad("-1", -EINVAL);
	u32_bad("+1", -EINVAL);
	u32_bad(" 1", -EINVAL);
	u32_bad("1 ", -EINVAL);
	u32_bad("1x", -EINVAL);
	u32_bad("0x10", -EINVAL);
	u32_bad("1.5", -EINVAL);
	u32_bad("1e3", -EINVAL);
	u32_bad("ten", -EINVAL);
	u32_bad("4294967296", -ERANGE);
	u32_bad("18446744073709551615", -ERANGE);
	u32_bad("99999999999999999999999", -ERANGE);
}

/* Run a command line; return the exit code, the output and the errors. */
static int run(const char *line, char **out, char **err)
{
	struct capture co, ce;
	struct kmtls_ctx ctx = { 0 };
	char copy[256], *argv[16], *tok, *save;
	int argc = 0, ret;

	snprintf(copy, sizeof(copy), "%s", line);
	for (tok = strtok_r(copy, " ", &save); tok && argc < 15;
	     tok = strtok_r(NULL, " ", &save))
		argv[argc++] = tok;
	argv[argc] = NULL;

	ctx.out = capture_start(&co);
	ctx.err = capture_start(&ce);
	ret = kmtls_run(&ctx, argc, argv);
	*out = (char *)capture_end(&co);
	*err = (char *)capture_end(&ce);
	return ret;
}

/* Run line; check exit code and that stderr (or stdout) starts with want. */
static void expect(const char *line, int code, const char *want_err,
		   const char *want_out)
{
	char *out, *err;
	int ret = run(line, &out, &err);
	bool pass = ret == code;

	if (want_err)
		pass = pass && strncmp(err, want_err, strlen(want_err)) == 0;
	else
		pass = pass && err[0] == '\0';
	if (want_out)
		pass = pass && strncmp(out, want_out, strlen(want_out)) == 0;
	if (!ok(pass, "\"%s\" exits %d", line, code)) {
		printf("#   exit %d\n", ret);
		diag_str("stdout", out);
		diag_str("stderr", err);
	}
	free(out);
	free(err);
}

static void test_grammar(void)
{
	expect("kmtls", EXIT_USAGE, "kmtls: missing object\nTry \"kmtls help\".", NULL);
	expect("kmtls bogus", EXIT_USAGE, "kmtls: unknown object \"bogus\"\nTry \"kmtls help\".\n", NULL);
	expect("kmtls -x status", EXIT_USAGE, "kmtls: unknown option \"-x\"", NULL);
	expect("kmtls -V", EXIT_OK, NULL, "kmtls " VERSION "\n");
	expect("kmtls --version status", EXIT_OK, NULL, "kmtls " VERSION "\n");
	expect("kmtls -h", EXIT_OK, NULL, "Usage: kmtls [OPTIONS]");
	expect("kmtls help", EXIT_OK, NULL, "Usage: kmtls [OPTIONS]");
	expect("kmtls he", EXIT_OK, NULL, "Usage: kmtls [OPTIONS]");
	expect("kmtls help config", EXIT_OK, NULL, "Usage: kmtls config");
	expect("kmtls help st", EXIT_OK, NULL, "Usage: kmtls status");
	expect("kmtls help bogus", EXIT_USAGE, "kmtls: unknown object \"bogus\"", NULL);
	expect("kmtls help config x", EXIT_USAGE, "kmtls: unexpected argument \"x\"", NULL);
	expect("kmtls status help", EXIT_OK, NULL, "Usage: kmtls status");
	expect("kmtls st h", EXIT_OK, NULL, "Usage: kmtls status");
	expect("kmtls status show extra", EXIT_USAGE, "kmtls: unexpected argument \"extra\"\nTry \"kmtls status help\".", NULL);
	expect("kmtls status bogus", EXIT_USAGE, "kmtls: unknown command \"bogus\"", NULL);
	expect("kmtls config help", EXIT_OK, NULL, "Usage: kmtls config");
	expect("kmtls conf he", EXIT_OK, NULL, "Usage: kmtls config");
	expect("kmtls config s", EXIT_USAGE, "kmtls: ambiguous command \"s\": could be show, set\nTry \"kmtls config help\".", NULL);
	expect("kmtls config show extra", EXIT_USAGE, "kmtls: unexpected argument \"extra\"", NULL);
	expect("kmtls config set", EXIT_USAGE, "kmtls: missing setting", NULL);
	expect("kmtls config set help", EXIT_OK, NULL, "Usage: kmtls config");
	expect("kmtls config set bogus 1", EXIT_USAGE, "kmtls: unknown setting \"bogus\"", NULL);
	expect("kmtls config set handshake-timeout", EXIT_USAGE, "kmtls: missing value for handshake-timeout", NULL);
	expect("kmtls config set h", EXIT_USAGE, "kmtls: missing value for handshake-timeout", NULL);
	expect("kmtls config set handshake-timeout abc", EXIT_USAGE, "kmtls: invalid handshake-timeout \"abc\"", NULL);
	expect("kmtls config set handshake-timeout -100", EXIT_USAGE, "kmtls: invalid handshake-timeout \"-100\"", NULL);
	expect("kmtls config set handshake-timeout 1000ms", EXIT_USAGE, "kmtls: invalid handshake-timeout \"1000ms\"", NULL);
	expect("kmtls config set handshake-timeout 99", EXIT_USAGE, "kmtls: handshake-timeout \"99\" out of range 100..600000 ms", NULL);
	expect("kmtls config set handshake-timeout 600001", EXIT_USAGE, "kmtls: handshake-timeout \"600001\" out of range", NULL);
	expect("kmtls config set handshake-timeout 99999999999", EXIT_USAGE, "kmtls: handshake-timeout \"99999999999\" out of range", NULL);
	expect("kmtls config set handshake-timeout 100 handshake-timeout 200", EXIT_USAGE, "kmtls: handshake-timeout given twice", NULL);
	expect("kmtls config set handshake-timeout 100 bogus", EXIT_USAGE, "kmtls: unknown setting \"bogus\"", NULL);
}

static void test_grammar_identity(void)
{
	expect("kmtls help identity", EXIT_OK, NULL, "Usage: kmtls identity");
	expect("kmtls help i", EXIT_OK, NULL, "Usage: kmtls identity");
	expect("kmtls identity help", EXIT_OK, NULL, "Usage: kmtls identity");
	expect("kmtls id h", EXIT_OK, NULL, "Usage: kmtls identity");
	expect("kmtls identity add help", EXIT_OK, NULL, "Usage: kmtls identity");
	expect("kmtls i a help", EXIT_OK, NULL, "Usage: kmtls identity");
	expect("kmtls identity del help", EXIT_OK, NULL, "Usage: kmtls identity");
	expect("kmtls identity bogus", EXIT_USAGE, "kmtls: unknown command \"bogus\"\nTry \"kmtls identity help\".\n", NULL);
	expect("kmtls identity show x", EXIT_USAGE, "kmtls: unexpected argument \"x\"\nTry \"kmtls identity help\".\n", NULL);
	expect("kmtls identity list x", EXIT_USAGE, "kmtls: unexpected argument \"x\"", NULL);
	expect("kmtls i l x", EXIT_USAGE, "kmtls: unexpected argument \"x\"", NULL);
	expect("kmtls i s x", EXIT_USAGE, "kmtls: unexpected argument \"x\"", NULL);
	expect("kmtls identity add", EXIT_USAGE, "kmtls: missing \"cgroup PATH\"\nTry \"kmtls identity help\".\n", NULL);
	expect("kmtls identity add cgroup", EXIT_USAGE, "kmtls: missing cgroup PATH", NULL);
	expect("kmtls identity add cgroup /a", EXIT_USAGE, "kmtls: missing SPIFFE-ID", NULL);
	expect("kmtls identity add c /a", EXIT_USAGE, "kmtls: missing SPIFFE-ID", NULL);
	expect("kmtls identity add pid 1 spiffe://a/b", EXIT_USAGE, "kmtls: unknown keyword \"pid\", expected \"cgroup\"", NULL);
	expect("kmtls identity add cgroupx /a spiffe://a/b", EXIT_USAGE, "kmtls: unknown keyword \"cgroupx\"", NULL);
	expect("kmtls identity add cgroup a/b spiffe://a/b", EXIT_USAGE, "kmtls: invalid cgroup path \"a/b\": not an absolute path", NULL);
	expect("kmtls identity add cgroup /a/../b spiffe://a/b", EXIT_USAGE, "kmtls: invalid cgroup path \"/a/../b\": \".\" and \"..\" components are not allowed", NULL);
	expect("kmtls identity add cgroup /a spiffe://A/b", EXIT_USAGE, "kmtls: invalid SPIFFE ID \"spiffe://A/b\": the trust domain must be lower case", NULL);
	expect("kmtls identity add cgroup /a spiffe://a", EXIT_USAGE, "kmtls: invalid SPIFFE ID \"spiffe://a\": a path is needed", NULL);
	expect("kmtls identity add cgroup /a web", EXIT_USAGE, "kmtls: invalid SPIFFE ID \"web\": it must start with \"spiffe://\"", NULL);
	expect("kmtls identity add cgroup /a spiffe://a/b extra", EXIT_USAGE, "kmtls: unexpected argument \"extra\"", NULL);
	expect("kmtls identity del", EXIT_USAGE, "kmtls: missing \"cgroup PATH\"", NULL);
	expect("kmtls identity del cgroup", EXIT_USAGE, "kmtls: missing cgroup PATH", NULL);
	expect("kmtls identity del cgroup /a/./b", EXIT_USAGE, "kmtls: invalid cgroup path \"/a/./b\"", NULL);
	expect("kmtls identity del cgroup /a spiffe://a/b", EXIT_USAGE, "kmtls: unexpected argument \"spiffe://a/b\"", NULL);
}

static void test_grammar_dest(void)
{
	expect("kmtls help dest", EXIT_OK, NULL, "Usage: kmtls dest");
	expect("kmtls help d", EXIT_OK, NULL, "Usage: kmtls dest");
	expect("kmtls dest help", EXIT_OK, NULL, "Usage: kmtls dest");
	expect("kmtls d h", EXIT_OK, NULL, "Usage: kmtls dest");
	expect("kmtls dest add help", EXIT_OK, NULL, "Usage: kmtls dest");
	expect("kmtls dest del help", EXIT_OK, NULL, "Usage: kmtls dest");
	expect("kmtls dest bogus", EXIT_USAGE, "kmtls: unknown command \"bogus\"\nTry \"kmtls dest help\".\n", NULL);
	expect("kmtls dest show x", EXIT_USAGE, "kmtls: unexpected argument \"x\"\nTry \"kmtls dest help\".\n", NULL);
	expect("kmtls d l x", EXIT_USAGE, "kmtls: unexpected argument \"x\"", NULL);
	expect("kmtls dest add", EXIT_USAGE, "kmtls: missing DEST\nTry \"kmtls dest help\".\n", NULL);
	expect("kmtls dest del", EXIT_USAGE, "kmtls: missing DEST", NULL);
	expect("kmtls dest add 10.0.0.5/8", EXIT_USAGE, "kmtls: invalid destination \"10.0.0.5/8\": host bits set (did you mean 10.0.0.0/8?)\nTry \"kmtls dest help\".\n", NULL);
	expect("kmtls dest add 10.0.0.1:0", EXIT_USAGE, "kmtls: invalid destination \"10.0.0.1:0\": port 0 is not allowed", NULL);
	expect("kmtls dest add 10.0.0.1:90-80", EXIT_USAGE, "kmtls: invalid destination \"10.0.0.1:90-80\": port range 90-80 is inverted", NULL);
	expect("kmtls dest add 10.0.0.0/33", EXIT_USAGE, "kmtls: invalid destination \"10.0.0.0/33\": prefix length 33 out of range 0..32", NULL);
	expect("kmtls dest add fd00::/64:443", EXIT_USAGE, "kmtls: invalid destination \"fd00::/64:443\": invalid prefix length", NULL);
	expect("kmtls dest del [fd00::1]", EXIT_USAGE, "kmtls: invalid destination \"[fd00::1]\": brackets are only", NULL);
	expect("kmtls dest add example.com", EXIT_USAGE, "kmtls: invalid destination \"example.com\"", NULL);
	expect("kmtls dest add 10.0.0.1 extra", EXIT_USAGE, "kmtls: unknown keyword \"extra\", expected mode or identity\nTry \"kmtls dest help\".\n", NULL);
	/* mode and identity */
	expect("kmtls dest add 10.0.0.1 mode", EXIT_USAGE, "kmtls: missing strict|permissive|disabled after \"mode\"", NULL);
	expect("kmtls dest add 10.0.0.1 mode bogus", EXIT_USAGE, "kmtls: invalid mode \"bogus\": expected strict, permissive or disabled\nTry \"kmtls dest help\".\n", NULL);
	expect("kmtls dest add 10.0.0.1 mode STRICT", EXIT_USAGE, "kmtls: invalid mode \"STRICT\"", NULL);
	expect("kmtls dest add 10.0.0.1 mode 1", EXIT_USAGE, "kmtls: invalid mode \"1\"", NULL);
	expect("kmtls dest add 10.0.0.1 mode strict mode disabled", EXIT_USAGE, "kmtls: mode given twice", NULL);
	expect("kmtls dest add 10.0.0.1 m p m s", EXIT_USAGE, "kmtls: mode given twice", NULL);
	expect("kmtls dest add 10.0.0.1 identity", EXIT_USAGE, "kmtls: missing SPIFFE-ID after \"identity\"", NULL);
	expect("kmtls dest add 10.0.0.1 identity spiffe://a", EXIT_USAGE, "kmtls: invalid identity \"spiffe://a\": a path is needed", NULL);
	expect("kmtls dest add 10.0.0.1 identity spiffe://a/*", EXIT_USAGE, "kmtls: invalid identity \"spiffe://a/*\"", NULL);
	expect("kmtls dest add 10.0.0.1 identity spiffe://a/b i spiffe://a/c", EXIT_USAGE, "kmtls: identity given twice", NULL);
	expect("kmtls dest add 10.0.0.1/8 mode strict", EXIT_USAGE, "kmtls: invalid destination \"10.0.0.1/8\": host bits set", NULL);
	expect("kmtls dest del 10.0.0.1 mode strict", EXIT_USAGE, "kmtls: dest del takes no mode: it removes the destination with this prefix and port range, whatever its mode and identity\nTry \"kmtls dest help\".\n", NULL);
	expect("kmtls dest del 10.0.0.1 i spiffe://a/b", EXIT_USAGE, "kmtls: dest del takes no identity", NULL);
	expect("kmtls dest del 10.0.0.1 extra", EXIT_USAGE, "kmtls: unexpected argument \"extra\"", NULL);
}

int main(void)
{
	test_prefix();
	test_opts();
	test_u32();
	test_u64();
	test_grammar();
	test_grammar_identity();
	test_grammar_dest();
	return tap_done();
}
