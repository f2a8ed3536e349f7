// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: the DEST grammar.  Valid and invalid destinations, the
 * shortest form dest_format() prints, the round trip parse -> format ->
 * parse, and the attributes of the request "dest add" sends.
 */
#include <errno.h>
#include <stdint.h>

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/kmtls.h>
#include <sys/socket.h>

#include "kmtls.h"
#include "tap.h"

/*
 * s parses; its parts are as given (addr as text, in the family's own
 * notation); dest_format() gives canon; and canon parses back to the same.
 */
static void good(const char *s, int family, const char *addr,
		 unsigned int len, unsigned int pmin, unsigned int pmax,
		 const char *canon)
{
	struct kmtls_dest d, d2;
	uint8_t want[16] = { 0 };
	char why[256] = "", buf[DEST_STRLEN];
	bool pass;
	int ret;

	ret = dest_parse(s, &d, why, sizeof(why));
	inet_pton(family, addr, want);
	pass = ret == 0 && d.family == family &&
	       memcmp(d.addr, want, sizeof(want)) == 0 &&
	       d.prefix_len == len && d.port_min == pmin &&
	       d.port_max == pmax;
	if (!ok(pass, "parse \"%s\"", s)) {
		printf("#   ret %d (%s), family %d, len %u, ports %u-%u\n",
		       ret, why, d.family, d.prefix_len, d.port_min,
		       d.port_max);
		return;
	}
	dest_format(&d, buf, sizeof(buf));
	is_str(buf, canon, "  ... prints in its shortest form");
	ret = dest_parse(buf, &d2, why, sizeof(why));
	ok(ret == 0 && memcmp(&d, &d2, sizeof(d)) == 0,
	   "  ... which parses back to the same destination");
}

/* s is refused, and the reason contains text. */
static void bad(const char *s, const char *text)
{
	struct kmtls_dest d;
	char why[256] = "";
	int ret;

	ret = dest_parse(s, &d, why, sizeof(why));
	if (!ok(ret == -EINVAL && strstr(why, text), "refuse \"%s\"", s)) {
		printf("#   ret %d\n", ret);
		diag_str("why ", why);
		diag_str("want", text);
	}
}

static void test_ipv4(void)
{
	good("10.0.0.5", AF_INET, "10.0.0.5", 32, 1, 65535, "10.0.0.5");
	good("10.0.0.0/8", AF_INET, "10.0.0.0", 8, 1, 65535, "10.0.0.0/8");
	good("10.0.0.0/8:5432", AF_INET, "10.0.0.0", 8, 5432, 5432,
	     "10.0.0.0/8:5432");
	good("10.1.2.3:8000-8100", AF_INET, "10.1.2.3", 32, 8000, 8100,
	     "10.1.2.3:8000-8100");
	good("10.0.0.5/32", AF_INET, "10.0.0.5", 32, 1, 65535, "10.0.0.5");
	good("10.0.0.5:1-65535", AF_INET, "10.0.0.5", 32, 1, 65535,
	     "10.0.0.5");
	good("10.0.0.5:1", AF_INET, "10.0.0.5", 32, 1, 1, "10.0.0.5:1");
	good("10.0.0.5:65535", AF_INET, "10.0.0.5", 32, 65535, 65535,
	     "10.0.0.5:65535");
	good("10.0.0.5:1-65534", AF_INET, "10.0.0.5", 32, 1, 65534,
	     "10.0.0.5:1-65534");
	good("10.0.0.5:2-65535", AF_INET, "10.0.0.5", 32, 2, 65535,
	     "10.0.0.5:2-65535");
	good("10.0.0.5:80-80", AF_INET, "10.0.0.5", 32, 80, 80,
	     "10.0.0.5:80");
	good("0.0.0.0/0", AF_INET, "0.0.0.0", 0, 1, 65535, "0.0.0.0/0");
	good("0.0.0.0/0:443", AF_INET, "0.0.0.0", 0, 443, 443,
	     "0.0.0.0/0:443");
	good("192.168.128.0/17", AF_INET, "192.168.128.0", 17, 1, 65535,
	     "192.168.128.0/17");
	good("255.255.255.255", AF_INET, "255.255.255.255", 32, 1, 65535,
	     "255.255.255.255");
	good("10.0.0.0/08", AF_INET, "10.0.0.0", 8, 1, 65535, "10.0.0.0/8");
	good("10.0.0.5:080", AF_INET, "10.0.0.5", 32, 80, 80, "10.0.0.5:80");
}

static void test_ipv6(void)
{
	good("fd00::1", AF_INET6, "fd00::1", 128, 1, 65535, "fd00::1");
	good("fd00::/64", AF_INET6, "fd00::", 64, 1, 65535, "fd00::/64");
	good("[fd00::/64]:443", AF_INET6, "fd00::", 64, 443, 443,
	     "[fd00::/64]:443");
	good("[::1]:80-90", AF_INET6, "::1", 128, 80, 90, "[::1]:80-90");
	good("[::1]:1-65535", AF_INET6, "::1", 128, 1, 65535, "::1");
	good("[fd00::1/128]:443", AF_INET6, "fd00::1", 128, 443, 443,
	     "[fd00::1]:443");
	good("::/0", AF_INET6, "::", 0, 1, 65535, "::/0");
	good("FD00:0:0:0:0:0:0:1", AF_INET6, "fd00::1", 128, 1, 65535,
	     "fd00::1");
	good("2001:db8::/32", AF_INET6, "2001:db8::", 32, 1, 65535,
	     "2001:db8::/32");
	good("2001:db8:0:0:8000::/65", AF_INET6, "2001:db8:0:0:8000::", 65,
	     1, 65535, "2001:db8:0:0:8000::/65");
	good("::ffff:10.0.0.1", AF_INET6, "::ffff:10.0.0.1", 128, 1, 65535,
	     "::ffff:10.0.0.1");
	/* Without brackets ":80" is part of the address. */
	good("fd00::1:80", AF_INET6, "fd00::1:80", 128, 1, 65535,
	     "fd00::1:80");
}

static void test_invalid(void)
{
	bad("", "is not an IPv4 or IPv6 address");
	bad("bogus", "\"bogus\" is not an IPv4 or IPv6 address");
	bad("10.0.0", "is not an IPv4 or IPv6 address");
	bad("10.0.0.256", "is not an IPv4 or IPv6 address");
	bad("010.0.0.1", "is not an IPv4 or IPv6 address");
	bad(" 10.0.0.1", "is not an IPv4 or IPv6 address");
	bad("10.0.0.1 ", "is not an IPv4 or IPv6 address");
	bad("1.2.3.4:5:6", "is not an IPv4 or IPv6 address");
	bad("fd00::1%eth0", "is not an IPv4 or IPv6 address");
	bad("fd00:::1", "is not an IPv4 or IPv6 address");
	bad("example.com:443", "is not an IPv4 or IPv6 address");

	/* Prefix lengths. */
	bad("10.0.0.0/", "invalid prefix length \"\"");
	bad("10.0.0.0/x", "invalid prefix length \"x\"");
	bad("10.0.0.0/-1", "invalid prefix length \"-1\"");
	bad("10.0.0.0/+8", "invalid prefix length \"+8\"");
	bad("10.0.0.0/8/8", "invalid prefix length \"8/8\"");
	bad("10.0.0.0/33", "prefix length 33 out of range 0..32");
	bad("10.0.0.0/4294967296", "prefix length 4294967296 out of range");
	bad("fd00::/129", "prefix length 129 out of range 0..128");
	bad("fd00::/64:443", "put an IPv6 destination with a port in brackets");
	bad("10.0.0.0:80/8", "invalid port \"80/8\"");

	/* Host bits. */
	bad("10.0.0.5/8", "host bits set (did you mean 10.0.0.0/8?)");
	bad("10.0.0.1/0", "did you mean 0.0.0.0/0?");
	bad("192.168.129.0/17", "did you mean 192.168.128.0/17?");
	bad("fd00::1/64", "host bits set (did you mean fd00::/64?)");
	bad("[fd00::1/127]:80", "did you mean fd00::/127?");
	bad("2001:db8:0:0:c000::/65", "did you mean 2001:db8:0:0:8000::/65?");

	/* Ports. */
	bad("10.0.0.1:", "invalid port \"\"");
	bad("10.0.0.1:0", "port 0 is not allowed");
	bad("10.0.0.1:0-80", "port 0 is not allowed");
	bad("10.0.0.1:00", "port 0 is not allowed");
	bad("10.0.0.1:65536", "port 65536 out of range 1..65535");
	bad("10.0.0.1:99999999999", "out of range 1..65535");
	bad("10.0.0.1:90-80", "port range 90-80 is inverted");
	bad("10.0.0.1:80-", "invalid port \"\"");
	bad("10.0.0.1:-80", "invalid port \"\"");
	bad("10.0.0.1:80--90", "invalid port \"-90\"");
	bad("10.0.0.1:80-90-100", "invalid port \"90-100\"");
	bad("10.0.0.1:http", "invalid port \"http\"");
	bad("10.0.0.1:+80", "invalid port \"+80\"");
	bad("10.0.0.1:0x50", "invalid port \"0x50\"");
	bad("10.0.0.1:80 ", "invalid port \"80 \"");

	/* Brackets. */
	bad("[fd00::1]", "brackets are only for an IPv6 destination with a port");
	bad("[fd00::1", "missing \"]\"");
	bad("[fd00::1]80", "expected \":PORT\" after \"]\"");
	bad("[fd00::1]:", "invalid port \"\"");
	bad("[fd00::1]:0", "port 0 is not allowed");
	bad("[fd00::1]:443:1", "invalid port \"443:1\"");
	bad("[10.0.0.1]:80", "brackets are for IPv6 addresses");
	bad("[bogus]:80", "\"bogus\" is not an IPv6 address");
	bad("[]:80", "\"\" is not an IPv6 address");
	bad("[[fd00::1]]:80", "expected \":PORT\" after \"]\"");

	/* Much too long. */
	{
		char big[300];

		memset(big, '1', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		bad(big, "too long");
	}
}

static void test_check(void)
{
	struct kmtls_dest d = {
		.family = AF_INET, .prefix_len = 24,
		.addr = { 10, 1, 2, 0 }, .port_min = 1, .port_max = 65535,
	};
	char why[128];

	ok(dest_check(&d, why, sizeof(why)) == 0, "check: a good one");
	d.prefix_len = 33;
	ok(dest_check(&d, why, sizeof(why)) == -EINVAL &&
	   strstr(why, "out of range"), "check: IPv4 /33");
	d.prefix_len = 24;
	d.port_min = 0;
	ok(dest_check(&d, why, sizeof(why)) == -EINVAL &&
	   strstr(why, "port 0"), "check: port 0");
	d.port_min = 10;
	d.port_max = 9;
	ok(dest_check(&d, why, sizeof(why)) == -EINVAL &&
	   strstr(why, "inverted"), "check: inverted range");
	d.port_max = 10;
	d.family = AF_UNIX;
	ok(dest_check(&d, why, sizeof(why)) == -EINVAL,
	   "check: unknown family");
}

/* The request "dest add DEST" sends, parsed back. */
static void test_request(void)
{
	static const struct kmtls_nl_policy pol[KMTLS_A_DEST_MAX + 1] = {
		[KMTLS_A_DEST_ADDR] = { KMTLS_NL_BINARY, true, "addr" },
		[KMTLS_A_DEST_PREFIX_LEN] = { KMTLS_NL_U8, true, "prefix-len" },
		[KMTLS_A_DEST_PORT_MIN] = { KMTLS_NL_U16, true, "port-min" },
		[KMTLS_A_DEST_PORT_MAX] = { KMTLS_NL_U16, true, "port-max" },
	};
	static const uint8_t v6[16] = { 0xfd, 0, [15] = 1 };
	uint8_t buf[KMTLS_NL_TX_SIZE] __attribute__((aligned(8)));
	const struct nlattr *tb[KMTLS_A_DEST_MAX + 1];
	struct kmtls_nl_err err;
	struct kmtls_dest d;
	struct nlmsghdr *nlh;
	char why[128];
	bool put;
	int ret;

	dest_parse("10.0.0.0/8:5432-5433", &d, why, sizeof(why));
	nlh = mnl_nlmsg_put_header(buf);
	mnl_nlmsg_put_extra_header(nlh, GENL_HDRLEN);
	put = dest_put(nlh, &d);
	ret = kmtls_nl_parse_genl(nlh, pol, KMTLS_A_DEST_MAX, tb, &err);
	ok(put && ret == 0, "IPv4 request: all four attributes");
	ok(ret == 0 &&
	   mnl_attr_get_payload_len(tb[KMTLS_A_DEST_ADDR]) == 4 &&
	   memcmp(mnl_attr_get_payload(tb[KMTLS_A_DEST_ADDR]),
		  "\x0a\0\0\0", 4) == 0, "IPv4 request: addr, 4 bytes");
	ok(ret == 0 && mnl_attr_get_u8(tb[KMTLS_A_DEST_PREFIX_LEN]) == 8 &&
	   mnl_attr_get_u16(tb[KMTLS_A_DEST_PORT_MIN]) == 5432 &&
	   mnl_attr_get_u16(tb[KMTLS_A_DEST_PORT_MAX]) == 5433,
	   "IPv4 request: prefix length and ports");

	dest_parse("fd00::1", &d, why, sizeof(why));
	nlh = mnl_nlmsg_put_header(buf);
	mnl_nlmsg_put_extra_header(nlh, GENL_HDRLEN);
	put = dest_put(nlh, &d);
	ret = kmtls_nl_parse_genl(nlh, pol, KMTLS_A_DEST_MAX, tb, &err);
	ok(put && ret == 0 &&
	   mnl_attr_get_payload_len(tb[KMTLS_A_DEST_ADDR]) == 16 &&
	   memcmp(mnl_attr_get_payload(tb[KMTLS_A_DEST_ADDR]), v6, 16) == 0,
	   "IPv6 request: addr, 16 bytes");
	ok(ret == 0 && mnl_attr_get_u8(tb[KMTLS_A_DEST_PREFIX_LEN]) == 128 &&
	   mnl_attr_get_u16(tb[KMTLS_A_DEST_PORT_MIN]) == 1 &&
	   mnl_attr_get_u16(tb[KMTLS_A_DEST_PORT_MAX]) == 65535,
	   "IPv6 request: defaults sent explicitly (/128, 1-65535)");
}

/* The words after DEST: mode and identity. */
static void test_args(void)
{
	static const struct kmtls_nl_policy pol[KMTLS_A_DEST_MAX + 1] = {
		[KMTLS_A_DEST_ADDR] = { KMTLS_NL_BINARY, true, "addr" },
		[KMTLS_A_DEST_PREFIX_LEN] = { KMTLS_NL_U8, true, "prefix-len" },
		[KMTLS_A_DEST_PORT_MIN] = { KMTLS_NL_U16, true, "port-min" },
		[KMTLS_A_DEST_PORT_MAX] = { KMTLS_NL_U16, true, "port-max" },
		[KMTLS_A_DEST_MODE] = { KMTLS_NL_U8, false, "mode" },
		[KMTLS_A_DEST_IDENTITY] = { KMTLS_NL_STRING, false, "identity" },
	};
	uint8_t buf[KMTLS_NL_TX_SIZE] __attribute__((aligned(8)));
	const struct nlattr *tb[KMTLS_A_DEST_MAX + 1];
	char a0[] = "10.0.0.0/8:5432", a1[] = "mode", a2[] = "permissive",
	     a3[] = "identity", a4[] = "spiffe://prod.example/db",
	     s[] = "s", d[] = "d", i[] = "i", bad[] = "spiffe://x/*";
	char *argv[8];
	struct kmtls_nl_err err;
	struct kmtls_dest dst;
	struct nlmsghdr *nlh;
	char why[256] = "";
	uint8_t mode = 0;
	int ret;

	ok(strcmp(dest_mode_name(KMTLS_DEST_MODE_STRICT), "strict") == 0 &&
	   strcmp(dest_mode_name(KMTLS_DEST_MODE_PERMISSIVE), "permissive") == 0 &&
	   strcmp(dest_mode_name(KMTLS_DEST_MODE_DISABLED), "disabled") == 0 &&
	   !dest_mode_name(0) && !dest_mode_name(4) && !dest_mode_name(255),
	   "mode names: 1..3 named, others NULL");
	ok(dest_mode_parse(s, &mode, why, sizeof(why)) == 0 && mode == 1 &&
	   dest_mode_parse(a2, &mode, why, sizeof(why)) == 0 && mode == 2 &&
	   dest_mode_parse(d, &mode, why, sizeof(why)) == 0 && mode == 3,
	   "modes by name and unique prefix");
	ok(dest_mode_parse("", &mode, why, sizeof(why)) == -EINVAL &&
	   dest_mode_parse("Strict", &mode, why, sizeof(why)) == -EINVAL &&
	   strstr(why, "expected strict, permissive or disabled"),
	   "empty and unknown modes refused");

	argv[0] = a0;
	ret = dest_parse_args(1, argv, &dst, why, sizeof(why));
	ok(ret == 0 && dst.mode == 0 && !dst.identity && dst.prefix_len == 8 &&
	   dst.port_min == 5432, "DEST alone: no mode, no identity");
	nlh = mnl_nlmsg_put_header(buf);
	mnl_nlmsg_put_extra_header(nlh, GENL_HDRLEN);
	ok(dest_put(nlh, &dst) &&
	   kmtls_nl_parse_genl(nlh, pol, KMTLS_A_DEST_MAX, tb, &err) == 0 &&
	   !tb[KMTLS_A_DEST_MODE] && !tb[KMTLS_A_DEST_IDENTITY],
	   "  ... the request leaves both out (the kernel's default: strict)");

	argv[1] = a3; argv[2] = a4; argv[3] = a1; argv[4] = a2;
	ret = dest_parse_args(5, argv, &dst, why, sizeof(why));
	ok(ret == 0 && dst.mode == KMTLS_DEST_MODE_PERMISSIVE &&
	   dst.identity == a4, "identity then mode, any order");
	nlh = mnl_nlmsg_put_header(buf);
	mnl_nlmsg_put_extra_header(nlh, GENL_HDRLEN);
	ok(dest_put(nlh, &dst) &&
	   kmtls_nl_parse_genl(nlh, pol, KMTLS_A_DEST_MAX, tb, &err) == 0 &&
	   tb[KMTLS_A_DEST_MODE] &&
	   mnl_attr_get_u8(tb[KMTLS_A_DEST_MODE]) == KMTLS_DEST_MODE_PERMISSIVE &&
	   tb[KMTLS_A_DEST_IDENTITY] &&
	   strcmp(mnl_attr_get_str(tb[KMTLS_A_DEST_IDENTITY]), a4) == 0,
	   "  ... the request carries mode (u8 2) and identity (string)");

	argv[1] = a1; argv[2] = d;
	ret = dest_parse_args(3, argv, &dst, why, sizeof(why));
	ok(ret == 0 && dst.mode == KMTLS_DEST_MODE_DISABLED,
	   "mode by prefix: \"mode d\" is disabled");
	argv[1] = i; argv[2] = bad;
	ret = dest_parse_args(3, argv, &dst, why, sizeof(why));
	ok(ret == -EINVAL && strstr(why, "invalid identity \"spiffe://x/*\""),
	   "an identity is a SPIFFE ID, not a pattern");
	ret = dest_parse_args(0, argv, &dst, why, sizeof(why));
	ok(ret == -EINVAL && strcmp(why, "missing DEST") == 0, "no DEST");
}

int main(void)
{
	test_ipv4();
	test_ipv6();
	test_invalid();
	test_check();
	test_request();
	test_args();
	return tap_done();
}
