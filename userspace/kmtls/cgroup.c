// SPDX-License-Identifier: GPL-2.0
/*
 * cgroup paths as the command line gives them.  The kernel names a cgroup
 * by its path relative to the cgroup2 root ("/workloads/web"); users often
 * have the filesystem path instead ("/sys/fs/cgroup/workloads/web").  A
 * path under a cgroup2 mount point is translated through that mount (its
 * point replaced by its root, "/" for an ordinary mount); any other path
 * is taken to be relative to the root already.
 *
 * Nothing here resolves symbolic links or looks at the filesystem: the
 * path is taken literally, which is why "." and ".." are refused rather
 * than interpreted.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kmtls.h"

int cgroup_path_clean(const char *in, char *out, size_t outlen,
		      const char **why)
{
	const char *p = in, *c;
	size_t o = 0, n;

	if (*p != '/') {
		*why = "not an absolute path (it must start with \"/\")";
		return -EINVAL;
	}
	while (*p) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		for (c = p; *p && *p != '/'; p++)
			;
		n = (size_t)(p - c);
		if ((n == 1 && c[0] == '.') ||
		    (n == 2 && c[0] == '.' && c[1] == '.')) {
			*why = "\".\" and \"..\" components are not allowed";
			return -EINVAL;
		}
		if (outlen < 2 || n + 1 > outlen - 1 - o)
			goto too_long;
		out[o++] = '/';
		memcpy(out + o, c, n);
		o += n;
	}
	if (o == 0) {
		if (outlen < 2)
			goto too_long;
		out[o++] = '/';
	}
	out[o] = '\0';
	return 0;
too_long:
	*why = "too long";
	return -ENAMETOOLONG;
}

/*
 * If the clean path is dir or below it, what follows dir ("" or "/x/y");
 * else NULL.  Whole components only: /sys/fs/cgroupx is not under
 * /sys/fs/cgroup.
 */
static const char *path_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (strcmp(dir, "/") == 0)
		return strcmp(path, "/") == 0 ? path + 1 : path;
	if (strncmp(path, dir, n) != 0)
		return NULL;
	if (path[n] == '\0' || path[n] == '/')
		return path + n;
	return NULL;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s)
{
	char *d = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*d++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 +
				      (s[3] - '0'));
			s += 4;
		} else {
			*d++ = *s++;
		}
	}
	*d = '\0';
}

/*
 * One line of mountinfo: "ID PARENT MAJ:MIN ROOT POINT OPTIONS [OPTIONAL
 * FIELDS...] - FSTYPE SOURCE SUPER-OPTIONS".  Pointers into line.
 */
static bool parse_mountinfo_line(char *line, char **root, char **point,
				 char **fstype)
{
	char *f[6], *tok, *save;
	int i;

	tok = strtok_r(line, " \n", &save);
	for (i = 0; i < 6 && tok; i++) {
		f[i] = tok;
		tok = strtok_r(NULL, " \n", &save);
	}
	if (i < 6)
		return false;
	while (tok && strcmp(tok, "-") != 0)
		tok = strtok_r(NULL, " \n", &save);
	if (!tok)
		return false;
	tok = strtok_r(NULL, " \n", &save);
	if (!tok)
		return false;
	*root = f[3];
	*point = f[4];
	*fstype = tok;
	return true;
}

int cgroup_find_mount(FILE *mountinfo, const char *path, char *point,
		      size_t pointlen, char *root, size_t rootlen)
{
	char *line = NULL, *r, *pt, *fstype;
	size_t cap = 0, len, best = 0;
	int found = 0;

	while (getline(&line, &cap, mountinfo) > 0) {
		if (!parse_mountinfo_line(line, &r, &pt, &fstype) ||
		    strcmp(fstype, "cgroup2") != 0)
			continue;
		unescape(r);
		unescape(pt);
		if (!path_under(path, pt))
			continue;
		len = strlen(pt);
		if ((found && len < best) || len >= pointlen ||
		    strlen(r) >= rootlen)
			continue;
		memcpy(point, pt, len + 1);
		memcpy(root, r, strlen(r) + 1);
		best = len;
		found = 1;
	}
	free(line);
	return found;
}

int cgroup_path_resolve(const char *arg, FILE *mountinfo, char *out,
			size_t outlen, char *why, size_t whylen)
{
	char point[4096], root[4096], croot[4096];
	const char *rest, *w;
	char *clean;
	size_t n;
	int ret;

	n = strlen(arg) + 2;
	clean = malloc(n);
	if (!clean) {
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	ret = cgroup_path_clean(arg, clean, n, &w);
	if (ret) {
		snprintf(why, whylen, "%s", w);
		goto out;
	}

	rest = clean;
	root[0] = '\0';
	if (mountinfo && cgroup_find_mount(mountinfo, clean, point,
					   sizeof(point), root,
					   sizeof(root))) {
		/* Under a cgroup namespace a root may be "/../..". */
		if (cgroup_path_clean(root, croot, sizeof(croot), &w) ||
		    strcmp(croot, root) != 0) {
			snprintf(why, whylen,
				 "it is under the cgroup2 mount at %s, whose root %s is outside this cgroup namespace; give the path relative to the cgroup2 root",
				 point, root);
			ret = -EINVAL;
			goto out;
		}
		rest = path_under(clean, point);
		if (strcmp(root, "/") == 0)
			root[0] = '\0';
	}
	if (outlen < 2 || strlen(root) + strlen(rest) > outlen - 1) {
		snprintf(why, whylen,
			 "longer than %zu bytes relative to the cgroup2 root",
			 outlen ? outlen - 1 : 0);
		ret = -ENAMETOOLONG;
		goto out;
	}
	snprintf(out, outlen, "%s%s", root, rest);
	if (out[0] == '\0')
		snprintf(out, outlen, "/");
out:
	free(clean);
	return ret;
}
