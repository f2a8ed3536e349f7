// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: cgroup paths (normalisation, translation through crafted
 * /proc/self/mountinfo contents, so nothing depends on this host's mounts)
 * and SPIFFE ID checks.
 */
#include <errno.h>
#include <stdlib.h>

#include <linux/kmtls.h>

#include "kmtls.h"
#include "tap.h"

/* ---- cgroup_path_clean() ---------------------------------------------- */

static void clean_ok(const char *in, const char *want)
{
	char out[64] = "";
	const char *why = "";
	int ret;

	ret = cgroup_path_clean(in, out, sizeof(out), &why);
	if (!ok(ret == 0 && strcmp(out, want) == 0, "clean \"%s\" -> \"%s\"",
		in, want)) {
		printf("#   ret %d (%s)\n", ret, why);
		diag_str("got", out);
	}
}

static void clean_bad(const char *in, int want, const char *text)
{
	char out[64];
	const char *why = "";
	int ret;

	ret = cgroup_path_clean(in, out, sizeof(out), &why);
	if (!ok(ret == want && strstr(why, text), "clean refuses \"%s\"", in))
		printf("#   ret %d, why \"%s\"\n", ret, why);
}

static void test_clean(void)
{
	char out[8];
	const char *why;

	clean_ok("/", "/");
	clean_ok("//", "/");
	clean_ok("///", "/");
	clean_ok("/a", "/a");
	clean_ok("/a/", "/a");
	clean_ok("/a//", "/a");
	clean_ok("//a//b///c//", "/a/b/c");
	clean_ok("/workloads/web", "/workloads/web");
	clean_ok("/a/.b/..c/...", "/a/.b/..c/...");
	clean_ok("/a./b..", "/a./b..");
	clean_ok("/with space/tab\there", "/with space/tab\there");
	clean_ok("/system.slice/system-systemd\\x2dfsck.slice",
		 "/system.slice/system-systemd\\x2dfsck.slice");

	clean_bad("", -EINVAL, "not an absolute path");
	clean_bad("a/b", -EINVAL, "not an absolute path");
	clean_bad("./a", -EINVAL, "not an absolute path");
	clean_bad("~/a", -EINVAL, "not an absolute path");
	clean_bad("/.", -EINVAL, "\".\" and \"..\"");
	clean_bad("/..", -EINVAL, "\".\" and \"..\"");
	clean_bad("/a/./b", -EINVAL, "\".\" and \"..\"");
	clean_bad("/a/../b", -EINVAL, "\".\" and \"..\"");
	clean_bad("/a/b/..", -EINVAL, "\".\" and \"..\"");
	clean_bad("/a/b/../", -EINVAL, "\".\" and \"..\"");
	clean_bad("/a//.//b", -EINVAL, "\".\" and \"..\"");

	/* Output buffer limits. */
	ok(cgroup_path_clean("/abcdef", out, 8, &why) == 0 &&
	   strcmp(out, "/abcdef") == 0, "clean: exactly fills the buffer");
	ok(cgroup_path_clean("/abcdefg", out, 8, &why) == -ENAMETOOLONG,
	   "clean: one byte too long");
	ok(cgroup_path_clean("/a/b/c/d", out, 8, &why) == -ENAMETOOLONG,
	   "clean: too long with several components");
	ok(cgroup_path_clean("///abc//", out, 5, &why) == 0 &&
	   strcmp(out, "/abc") == 0, "clean: long input, short result fits");
	ok(cgroup_path_clean("/", out, 1, &why) == -ENAMETOOLONG,
	   "clean: no room for \"/\"");
	ok(cgroup_path_clean("/a", out, 0, &why) == -ENAMETOOLONG,
	   "clean: zero-sized buffer");
}

/* ---- mountinfo and cgroup_path_resolve() ------------------------------ */

/* An ordinary host: cgroup2 at /sys/fs/cgroup; other file systems. */
static const char host_mi[] =
	"22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro\n"
	"25 22 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
	"26 25 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:8 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n"
	"27 26 0:50 / /sys/fs/cgroup/tmp rw - tmpfs tmpfs rw\n"
	"28 22 0:51 / /cgroup-v1 rw - cgroup cgroup rw,cpu\n"
	"this line is not mountinfo\n"
	"29 22 0:23 /workloads /mnt/my\\040cg rw,relatime - cgroup2 cgroup2 rw\n"
	"30 22 0:23 /../.. /host/cg rw - cgroup2 cgroup2 rw\n"
	"31 26 0:23 /deep /sys/fs/cgroup/nested rw shared:9 master:3 - cgroup2 cgroup2 rw\n"
	"32 22 0:23 / /twice rw - cgroup2 cgroup2 rw\n"
	"33 22 0:23 /other /twice rw - cgroup2 cgroup2 rw\n"
	"34 22 0:23 / /no-fstype rw -\n"
	"35 22 0:23 / /no-separator rw cgroup2 cgroup2 rw\n";

/* cgroup2 mounted at / (seen in some containers). */
static const char root_mi[] =
	"40 1 0:23 /sub / rw - cgroup2 cgroup2 rw\n";

/* Resolve arg against mountinfo text mi (NULL: none). */
static int resolve(const char *mi, const char *arg, char *out, size_t len,
		   char *why, size_t whylen)
{
	FILE *f = NULL;
	char *copy = NULL;
	int ret;

	if (mi) {
		copy = strdup(mi);
		f = fmemopen(copy, strlen(copy), "r");
	}
	ret = cgroup_path_resolve(arg, f, out, len, why, whylen);
	if (f)
		fclose(f);
	free(copy);
	return ret;
}

/* arg for a test name: long ones abbreviated. */
static const char *shown(const char *arg, char *buf, size_t len)
{
	if (strlen(arg) < 60)
		return arg;
	snprintf(buf, len, "%.20s... (%zu bytes)", arg, strlen(arg));
	return buf;
}

static void resolve_ok(const char *mi, const char *arg, const char *want,
		       const char *name)
{
	char out[KMTLS_CGROUP_PATH_MAX_LEN + 1] = "", why[512] = "";
	char b1[64], b2[64];
	int ret;

	ret = resolve(mi, arg, out, sizeof(out), why, sizeof(why));
	if (!ok(ret == 0 && strcmp(out, want) == 0, "%s: \"%s\" -> \"%s\"",
		name, shown(arg, b1, sizeof(b1)),
		shown(want, b2, sizeof(b2)))) {
		printf("#   ret %d (%s)\n", ret, why);
		diag_str("got", out);
	}
}

static void resolve_bad(const char *mi, const char *arg, int want,
			const char *text, const char *name)
{
	char out[KMTLS_CGROUP_PATH_MAX_LEN + 1], why[512] = "", b[64];
	int ret;

	ret = resolve(mi, arg, out, sizeof(out), why, sizeof(why));
	if (!ok(ret == want && strstr(why, text), "%s: refuses \"%s\"", name,
		shown(arg, b, sizeof(b)))) {
		printf("#   ret %d\n", ret);
		diag_str("why ", why);
		diag_str("want", text);
	}
}

static void test_find_mount(void)
{
	char point[64], root[64], *copy = strdup(host_mi);
	FILE *f;
	int ret;

	f = fmemopen(copy, strlen(copy), "r");
	ret = cgroup_find_mount(f, "/sys/fs/cgroup/a", point, sizeof(point),
				root, sizeof(root));
	ok(ret == 1 && strcmp(point, "/sys/fs/cgroup") == 0 &&
	   strcmp(root, "/") == 0, "find_mount: /sys/fs/cgroup, root /");
	fclose(f);

	f = fmemopen(copy, strlen(copy), "r");
	ret = cgroup_find_mount(f, "/mnt/my cg/x", point, sizeof(point), root,
				sizeof(root));
	ok(ret == 1 && strcmp(point, "/mnt/my cg") == 0 &&
	   strcmp(root, "/workloads") == 0,
	   "find_mount: escaped mount point, subtree root");
	fclose(f);

	f = fmemopen(copy, strlen(copy), "r");
	ret = cgroup_find_mount(f, "/sys/fs", point, sizeof(point), root,
				sizeof(root));
	is_int(ret, 0, "find_mount: a parent of a mount point is not under it");
	fclose(f);

	f = fmemopen(copy, strlen(copy), "r");
	ret = cgroup_find_mount(f, "/sys/fs/cgroup/a", point, 8, root,
				sizeof(root));
	is_int(ret, 0, "find_mount: mount point too long for the buffer");
	fclose(f);

	f = fmemopen(copy, strlen(copy), "r");
	ret = cgroup_find_mount(f, "/no-fstype/a", point, sizeof(point), root,
				sizeof(root));
	rewind(f);
	ret += cgroup_find_mount(f, "/no-separator/a", point, sizeof(point),
				 root, sizeof(root));
	is_int(ret, 0, "find_mount: lines without fstype or separator skipped");
	fclose(f);
	free(copy);
}

static void test_resolve(void)
{
	char big[KMTLS_CGROUP_PATH_MAX_LEN + 64];
	char out[16], why[512];
	size_t n;

	resolve_ok(host_mi, "/sys/fs/cgroup/workloads/web", "/workloads/web",
		   "host");
	resolve_ok(host_mi, "/sys/fs/cgroup", "/", "host");
	resolve_ok(host_mi, "/sys/fs/cgroup/", "/", "host");
	resolve_ok(host_mi, "//sys//fs/cgroup//workloads//web//",
		   "/workloads/web", "host");
	resolve_ok(host_mi, "/workloads/web", "/workloads/web",
		   "host, relative to the root");
	resolve_ok(host_mi, "/workloads/web/", "/workloads/web",
		   "host, relative, trailing slash");
	resolve_ok(host_mi, "/", "/", "host, the root");
	resolve_ok(host_mi, "/sys/fs/cgroupx/a", "/sys/fs/cgroupx/a",
		   "host, not a whole component");
	resolve_ok(host_mi, "/sys/fs", "/sys/fs", "host, above the mount");
	resolve_ok(host_mi, "/sys/fs/cgroup/tmp/a", "/tmp/a",
		   "host, tmpfs below is not cgroup2");
	resolve_ok(host_mi, "/cgroup-v1/a", "/cgroup-v1/a",
		   "host, cgroup v1 is not cgroup2");
	resolve_ok(host_mi, "/mnt/my cg/web", "/workloads/web",
		   "bind mount of a subtree");
	resolve_ok(host_mi, "/mnt/my cg", "/workloads",
		   "bind mount of a subtree, its top");
	resolve_ok(host_mi, "/sys/fs/cgroup/nested/x", "/deep/x",
		   "deepest mount wins");
	resolve_ok(host_mi, "/sys/fs/cgroup/nestedx", "/nestedx",
		   "deepest mount, whole components only");
	resolve_ok(host_mi, "/twice/a", "/other/a",
		   "mounted twice at one point: the later wins");
	resolve_ok(host_mi, "/system.slice/a\\x2db.service",
		   "/system.slice/a\\x2db.service", "backslashes kept");
	resolve_ok(root_mi, "/a/b", "/sub/a/b", "cgroup2 mounted at /");
	resolve_ok(root_mi, "/", "/sub", "cgroup2 mounted at /, the top");
	resolve_ok(NULL, "/sys/fs/cgroup/a", "/sys/fs/cgroup/a",
		   "no mountinfo: taken as relative");
	resolve_ok("", "/a//b/", "/a/b", "empty mountinfo");

	resolve_bad(host_mi, "/host/cg/a", -EINVAL,
		    "cgroup2 mount at /host/cg, whose root /../.. is outside this cgroup namespace",
		    "host");
	resolve_bad(host_mi, "workloads/web", -EINVAL,
		    "not an absolute path", "host");
	resolve_bad(host_mi, "", -EINVAL, "not an absolute path", "host");
	resolve_bad(host_mi, "/sys/fs/cgroup/a/../b", -EINVAL,
		    "\".\" and \"..\" components are not allowed", "host");
	resolve_bad(host_mi, "/sys/fs/cgroup/./a", -EINVAL,
		    "\".\" and \"..\" components are not allowed", "host");

	/* Length: at most KMTLS_CGROUP_PATH_MAX_LEN relative to the root. */
	n = KMTLS_CGROUP_PATH_MAX_LEN;
	big[0] = '/';
	memset(big + 1, 'a', n - 1);
	big[n] = '\0';
	resolve_ok(host_mi, big, big, "4096 bytes relative to the root");
	big[n] = 'a';
	big[n + 1] = '\0';
	resolve_bad(host_mi, big, -ENAMETOOLONG, "longer than 4096 bytes",
		    "4097 bytes");
	memcpy(big, "/sys/fs/cgroup/", 15);
	memset(big + 15, 'b', n);
	big[15 + n - 1] = '\0';
	resolve_ok(host_mi, big, big + 14,
		   "longer than 4096 under the mount, 4096 once stripped");

	ok(resolve(NULL, "/abc", out, 4, why, sizeof(why)) == -ENAMETOOLONG,
	   "result one byte too long for the buffer");
	ok(resolve(NULL, "/ab", out, 4, why, sizeof(why)) == 0 &&
	   strcmp(out, "/ab") == 0, "result exactly fills the buffer");
}

/* ---- SPIFFE IDs --------------------------------------------------------- */

static void spiffe_ok(const char *s)
{
	const char *why = "";
	int ret = spiffe_id_check(s, &why);

	char b[64];

	if (!ok(ret == 0, "SPIFFE ID \"%s\" accepted", shown(s, b, sizeof(b))))
		printf("#   ret %d (%s)\n", ret, why);
}

static void spiffe_bad(const char *s, const char *text)
{
	const char *why = "";
	int ret = spiffe_id_check(s, &why);

	char b[64];

	if (!ok(ret == -EINVAL && strstr(why, text),
		"SPIFFE ID \"%s\" refused", shown(s, b, sizeof(b)))) {
		printf("#   ret %d\n", ret);
		diag_str("why ", why);
		diag_str("want", text);
	}
}

static void test_spiffe(void)
{
	char big[KMTLS_SPIFFE_ID_MAX_LEN + 2];
	size_t n;

	spiffe_ok("spiffe://prod.example/ns/web");
	spiffe_ok("spiffe://example.org/a");
	spiffe_ok("spiffe://a-b_c.0/A.b-C_9/x");
	spiffe_ok("spiffe://td/.../a..b/.c");
	spiffe_ok("spiffe://1/2");

	spiffe_bad("", "must start with \"spiffe://\"");
	spiffe_bad("http://a/b", "must start with \"spiffe://\"");
	spiffe_bad("SPIFFE://a/b", "must start with \"spiffe://\"");
	spiffe_bad("spiffe:/a/b", "must start with \"spiffe://\"");
	spiffe_bad(" spiffe://a/b", "must start with \"spiffe://\"");
	spiffe_bad("spiffe://", "the trust domain is empty");
	spiffe_bad("spiffe:///a", "the trust domain is empty");
	spiffe_bad("spiffe://a", "a path is needed");
	spiffe_bad("spiffe://a/", "empty segment");
	spiffe_bad("spiffe://a//b", "empty segment");
	spiffe_bad("spiffe://a/b/", "empty segment");
	spiffe_bad("spiffe://a/./b", "\".\" and \"..\" path segments");
	spiffe_bad("spiffe://a/../b", "\".\" and \"..\" path segments");
	spiffe_bad("spiffe://a/b/..", "\".\" and \"..\" path segments");
	spiffe_bad("spiffe://a/.", "\".\" and \"..\" path segments");
	spiffe_bad("spiffe://Example.org/b", "must be lower case");
	spiffe_bad("spiffe://a:8080/b", "a port is not allowed");
	spiffe_bad("spiffe://u@a/b", "userinfo is not allowed");
	spiffe_bad("spiffe://u:p@a/b", "a port is not allowed");
	spiffe_bad("spiffe://a/b?x=1", "a query or fragment");
	spiffe_bad("spiffe://a/b#f", "a query or fragment");
	spiffe_bad("spiffe://a?x/b", "a query or fragment");
	spiffe_bad("spiffe://a/b c", "the path may only hold");
	spiffe_bad("spiffe://a/%41", "the path may only hold");
	spiffe_bad("spiffe://a/caf\xc3\xa9", "the path may only hold");
	spiffe_bad("spiffe://a b/c", "the trust domain may only hold");
	spiffe_bad("spiffe://a%2e/c", "the trust domain may only hold");

	/* The trust domain: at most 255 characters. */
	memcpy(big, "spiffe://", 9);
	memset(big + 9, 't', 255);
	memcpy(big + 9 + 255, "/p", 3);
	spiffe_ok(big);
	memset(big + 9, 't', 256);
	memcpy(big + 9 + 256, "/p", 3);
	spiffe_bad(big, "the trust domain is longer than 255 characters");

	/* Length, NUL not counted. */
	n = KMTLS_SPIFFE_ID_MAX_LEN;
	memcpy(big, "spiffe://td/", 12);
	memset(big + 12, 'x', n - 12);
	big[n] = '\0';
	spiffe_ok(big);
	big[n] = 'x';
	big[n + 1] = '\0';
	spiffe_bad(big, "longer than 2048 bytes");
}

int main(void)
{
	test_clean();
	test_find_mount();
	test_resolve();
	test_spiffe();
	return tap_done();
}
