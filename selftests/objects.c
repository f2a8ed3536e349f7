// SPDX-License-Identifier: GPL-2.0
/*
 * Contract tests of the kmtls objects (netlink/kmtls.yaml): identities
 * (identity-add/-del/-get: a cgroup v2 directory mapped to a SPIFFE ID) and
 * declared destinations (dest-add/-del/-get: an address prefix and a port
 * range), against the loaded module.
 *
 * Needs root, the kmtls module and cgroup2 mounted at /sys/fs/cgroup; runs
 * in the initial network and cgroup namespaces.  The tests make their own
 * cgroups under /sys/fs/cgroup/kmtls-objects-test/ and remove them; every
 * identity and destination they add is deleted again, in teardown too.
 * Every rejection is checked to change nothing: both dumps are compared
 * before and after.  Dumps are compared as multisets (their order is the
 * module's business).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/kmtls.h>

#include "nl_util.h"
/* 6.1's harness has an unused parameter; -Wextra -Werror would stop here. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#pragma GCC diagnostic pop

#define WHYLEN		512

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC	0x63677270
#endif

/* cgroup paths as the family takes them: relative to the cgroup2 root. */
#define CG_MNT		"/sys/fs/cgroup"
#define CG_TOP		"/kmtls-objects-test"
#define CG_A		CG_TOP "/a"
#define CG_AB		CG_A "/b"
#define CG_GC		CG_TOP "/gc"
#define CG_MISSING	CG_TOP "/missing"

enum { I_TOP, I_A, I_AB, I_GC, N_CG };
static const char *const cg_path[N_CG] = {
	[I_TOP] = CG_TOP, [I_A] = CG_A, [I_AB] = CG_AB, [I_GC] = CG_GC,
};
/* rmdir in this order (deepest first); mkdir in the reverse. */
static const int cg_rmdir_order[N_CG] = { I_AB, I_A, I_GC, I_TOP };

#define ID_WEB		"spiffe://prod.example/ns/web"
#define ID_DB		"spiffe://prod.example/ns/db"

/* How long a removed cgroup's identity may linger (the collector runs
 * every 2 s), and how often to look.
 */
#define GC_WAIT_MS	6000
#define GC_POLL_MS	100

/* Destinations added by the bulk test, and the receive buffer its dump is
 * read with (see dest.many).
 */
#define BULK_N		300
#define BULK_RCVLEN	8192

/* ---- what the dumps show ----------------------------------------------- */

struct ident {
	char *cgroup;
	char *spiffe_id;
	__u64 cgid;
};

struct dest {
	__u8 alen;		/* 4 or 16 */
	__u8 addr[16];
	__u8 plen;
	__u16 pmin, pmax;
};

/* Both dumps, sorted. */
struct snap {
	struct ident *ids;
	int n_ids, cap_ids;
	struct dest *dests;
	int n_dests, cap_dests;
};

/* Replies: one for requests, one for dumps (a static: they are 32 KiB). */
static struct nl_reply reply;
static struct nl_reply dump_reply;

/* snprintf for messages that may well be cut short (and that is fine). */
static void __attribute__((format(printf, 3, 4)))
sfmt(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p) {
		fprintf(stderr, "# out of memory\n");
		abort();
	}
	return p;
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d) {
		fprintf(stderr, "# out of memory\n");
		abort();
	}
	return d;
}

static void snap_add_ident(struct snap *sn, const char *cgroup,
			   const char *spiffe_id, __u64 cgid)
{
	if (sn->n_ids == sn->cap_ids) {
		sn->cap_ids = sn->cap_ids ? 2 * sn->cap_ids : 16;
		sn->ids = xrealloc(sn->ids, sn->cap_ids * sizeof(*sn->ids));
	}
	sn->ids[sn->n_ids].cgroup = xstrdup(cgroup);
	sn->ids[sn->n_ids].spiffe_id = xstrdup(spiffe_id);
	sn->ids[sn->n_ids].cgid = cgid;
	sn->n_ids++;
}

static void snap_add_dest(struct snap *sn, const struct dest *d)
{
	if (sn->n_dests == sn->cap_dests) {
		sn->cap_dests = sn->cap_dests ? 2 * sn->cap_dests : 64;
		sn->dests = xrealloc(sn->dests,
				     sn->cap_dests * sizeof(*sn->dests));
	}
	sn->dests[sn->n_dests++] = *d;
}

static void snap_free(struct snap *sn)
{
	int i;

	for (i = 0; i < sn->n_ids; i++) {
		free(sn->ids[i].cgroup);
		free(sn->ids[i].spiffe_id);
	}
	free(sn->ids);
	free(sn->dests);
	memset(sn, 0, sizeof(*sn));
}

/* Forget the identities (to compare destinations only). */
static void snap_drop_ids(struct snap *sn)
{
	int i;

	for (i = 0; i < sn->n_ids; i++) {
		free(sn->ids[i].cgroup);
		free(sn->ids[i].spiffe_id);
	}
	sn->n_ids = 0;
}

static void snap_copy(struct snap *to, const struct snap *from)
{
	int i;

	memset(to, 0, sizeof(*to));
	for (i = 0; i < from->n_ids; i++)
		snap_add_ident(to, from->ids[i].cgroup, from->ids[i].spiffe_id,
			       from->ids[i].cgid);
	for (i = 0; i < from->n_dests; i++)
		snap_add_dest(to, &from->dests[i]);
}

static int ident_cmp(const void *pa, const void *pb)
{
	const struct ident *a = pa, *b = pb;
	int c;

	if (a->cgid != b->cgid)
		return a->cgid < b->cgid ? -1 : 1;
	c = strcmp(a->cgroup, b->cgroup);
	return c ? c : strcmp(a->spiffe_id, b->spiffe_id);
}

static int dest_cmp(const void *pa, const void *pb)
{
	const struct dest *a = pa, *b = pb;
	int c;

	if (a->alen != b->alen)
		return a->alen < b->alen ? -1 : 1;
	c = memcmp(a->addr, b->addr, sizeof(a->addr));
	if (c)
		return c;
	if (a->plen != b->plen)
		return a->plen < b->plen ? -1 : 1;
	if (a->pmin != b->pmin)
		return a->pmin < b->pmin ? -1 : 1;
	if (a->pmax != b->pmax)
		return a->pmax < b->pmax ? -1 : 1;
	return 0;
}

static void snap_sort(struct snap *sn)
{
	if (sn->n_ids)
		qsort(sn->ids, sn->n_ids, sizeof(*sn->ids), ident_cmp);
	if (sn->n_dests)
		qsort(sn->dests, sn->n_dests, sizeof(*sn->dests), dest_cmp);
}

static const char *fmt_ident(const struct ident *e, char *buf, size_t len)
{
	sfmt(buf, len, "\"%.100s\" -> \"%.100s\"%s (cgroup-id %llu)",
		 e->cgroup, e->spiffe_id,
		 strlen(e->spiffe_id) > 100 ? "..." : "",
		 (unsigned long long)e->cgid);
	return buf;
}

static const char *fmt_dest(const struct dest *d, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (!inet_ntop(d->alen == 4 ? AF_INET : AF_INET6, d->addr, a,
		       sizeof(a)))
		snprintf(a, sizeof(a), "?");
	snprintf(buf, len, "%s/%u port %u-%u", a, d->plen, d->pmin, d->pmax);
	return buf;
}

static int ident_find_id(const struct snap *sn, __u64 cgid)
{
	int i;

	for (i = 0; i < sn->n_ids; i++)
		if (sn->ids[i].cgid == cgid)
			return i;
	return -1;
}

static int dest_find(const struct snap *sn, const struct dest *d)
{
	int i;

	for (i = 0; i < sn->n_dests; i++)
		if (!dest_cmp(&sn->dests[i], d))
			return i;
	return -1;
}

/* Is the identity cgroup (or one below it) ours? */
static bool ident_is_ours(const char *cgroup)
{
	size_t n = strlen(CG_TOP);

	return !strncmp(cgroup, CG_TOP, n) &&
	       (cgroup[n] == '\0' || cgroup[n] == '/');
}

/*
 * Compare two sorted snapshots; false with the first differences in why.
 */
static bool snap_equal(const struct snap *want, const struct snap *got,
		       char *why, size_t len)
{
	char missing[200] = "", extra[200] = "", b[200];
	int i = 0, j = 0, nmiss = 0, nextra = 0;

	while (i < want->n_ids || j < got->n_ids) {
		int c = i == want->n_ids ? 1 : j == got->n_ids ? -1 :
			ident_cmp(&want->ids[i], &got->ids[j]);

		if (c == 0) {
			i++;
			j++;
		} else if (c < 0) {
			if (!nmiss++)
				sfmt(missing, sizeof(missing), "identity %s",
					 fmt_ident(&want->ids[i], b, sizeof(b)));
			i++;
		} else {
			if (!nextra++)
				sfmt(extra, sizeof(extra), "identity %s",
					 fmt_ident(&got->ids[j], b, sizeof(b)));
			j++;
		}
	}
	i = j = 0;
	while (i < want->n_dests || j < got->n_dests) {
		int c = i == want->n_dests ? 1 : j == got->n_dests ? -1 :
			dest_cmp(&want->dests[i], &got->dests[j]);

		if (c == 0) {
			i++;
			j++;
		} else if (c < 0) {
			if (!nmiss++)
				sfmt(missing, sizeof(missing), "destination %s",
					 fmt_dest(&want->dests[i], b, sizeof(b)));
			i++;
		} else {
			if (!nextra++)
				sfmt(extra, sizeof(extra), "destination %s",
					 fmt_dest(&got->dests[j], b, sizeof(b)));
			j++;
		}
	}
	if (!nmiss && !nextra)
		return true;
	sfmt(why, len,
		 "dumps differ from what was expected: %d entries missing%s%s, %d unexpected%s%s (expected %d identities and %d destinations, dumped %d and %d)",
		 nmiss, nmiss ? ", e.g. " : "", missing,
		 nextra, nextra ? ", e.g. " : "", extra,
		 want->n_ids, want->n_dests, got->n_ids, got->n_dests);
	return false;
}

/* ---- dump parsing ------------------------------------------------------ */

struct dump_ctx {
	__u16 family;
	__u8 cmd;
	struct snap *sn;
	char *why;
	size_t whylen;
};

/* A NUL-terminated string filling the attribute exactly (nla_put_string). */
static bool nla_is_strz(const struct nlattr *a)
{
	int plen = nla_plen(a);

	return plen >= 1 &&
	       strnlen(nla_pdata(a), (size_t)plen) == (size_t)plen - 1;
}

static int parse_ident_msg(const struct nlmsghdr *nlh, struct dump_ctx *c)
{
	static const char *const name[KMTLS_A_IDENTITY_MAX + 1] = {
		[KMTLS_A_IDENTITY_CGROUP]	= "cgroup",
		[KMTLS_A_IDENTITY_SPIFFE_ID]	= "spiffe-id",
		[KMTLS_A_IDENTITY_CGROUP_ID]	= "cgroup-id",
		[KMTLS_A_IDENTITY_PAD]		= "pad",
	};
	bool seen[KMTLS_A_IDENTITY_MAX + 1] = { false };
	const char *cgroup = NULL, *spiffe_id = NULL;
	const struct nlattr *a;
	__u64 cgid = 0;
	int rem, t;

	nla_for_each_(a, genl_attrs(nlh), genl_attrs_len(nlh), rem) {
		__u16 type = nla_type_(a);

		if (type == 0 || type > KMTLS_A_IDENTITY_MAX ||
		    (a->nla_type & ~NLA_TYPE_MASK)) {
			snprintf(c->why, c->whylen,
				 "identity dump: unknown attribute type 0x%x",
				 a->nla_type);
			return -EPROTO;
		}
		if (seen[type]) {
			snprintf(c->why, c->whylen,
				 "identity dump: attribute %s twice in a message",
				 name[type]);
			return -EPROTO;
		}
		seen[type] = true;
		switch (type) {
		case KMTLS_A_IDENTITY_CGROUP:
		case KMTLS_A_IDENTITY_SPIFFE_ID:
			if (!nla_is_strz(a)) {
				snprintf(c->why, c->whylen,
					 "identity dump: %s is not a NUL-terminated string of its attribute's length",
					 name[type]);
				return -EPROTO;
			}
			if (type == KMTLS_A_IDENTITY_CGROUP)
				cgroup = nla_pdata(a);
			else
				spiffe_id = nla_pdata(a);
			break;
		case KMTLS_A_IDENTITY_CGROUP_ID:
			if (nla_plen(a) != (int)sizeof(__u64)) {
				snprintf(c->why, c->whylen,
					 "identity dump: cgroup-id has %d bytes, expected 8",
					 nla_plen(a));
				return -EPROTO;
			}
			cgid = nla_get_u64_(a);
			break;
		default:	/* pad */
			break;
		}
	}
	if (!nla_walk_complete(rem)) {
		snprintf(c->why, c->whylen,
			 "identity dump: attributes do not parse (%d bytes left)",
			 rem);
		return -EPROTO;
	}
	for (t = KMTLS_A_IDENTITY_CGROUP; t <= KMTLS_A_IDENTITY_CGROUP_ID; t++) {
		if (!seen[t]) {
			snprintf(c->why, c->whylen,
				 "identity dump: a message without %s", name[t]);
			return -EPROTO;
		}
	}
	snap_add_ident(c->sn, cgroup, spiffe_id, cgid);
	return 0;
}

static int parse_dest_msg(const struct nlmsghdr *nlh, struct dump_ctx *c)
{
	static const char *const name[KMTLS_A_DEST_MAX + 1] = {
		[KMTLS_A_DEST_ADDR]		= "addr",
		[KMTLS_A_DEST_PREFIX_LEN]	= "prefix-len",
		[KMTLS_A_DEST_PORT_MIN]		= "port-min",
		[KMTLS_A_DEST_PORT_MAX]		= "port-max",
		[KMTLS_A_DEST_MODE]		= "mode",
		[KMTLS_A_DEST_IDENTITY]		= "identity",
	};
	bool seen[KMTLS_A_DEST_MAX + 1] = { false };
	const struct nlattr *a;
	struct dest d;
	char b[128];
	int rem, t;

	memset(&d, 0, sizeof(d));
	nla_for_each_(a, genl_attrs(nlh), genl_attrs_len(nlh), rem) {
		__u16 type = nla_type_(a);
		int plen = nla_plen(a), want;

		if (type == 0 || type > KMTLS_A_DEST_MAX ||
		    (a->nla_type & ~NLA_TYPE_MASK)) {
			snprintf(c->why, c->whylen,
				 "dest dump: unknown attribute type 0x%x",
				 a->nla_type);
			return -EPROTO;
		}
		if (seen[type]) {
			snprintf(c->why, c->whylen,
				 "dest dump: attribute %s twice in a message",
				 name[type]);
			return -EPROTO;
		}
		seen[type] = true;
		if (type == KMTLS_A_DEST_IDENTITY) {
			if (plen < 2 || strnlen(nla_pdata(a), (size_t)plen) !=
			    (size_t)plen - 1) {
				snprintf(c->why, c->whylen,
					 "dest dump: identity is not a string");
				return -EPROTO;
			}
			continue;
		}
		if (type == KMTLS_A_DEST_MODE) {
			if (plen != 1 || nla_get_u8_(a) < KMTLS_DEST_MODE_STRICT ||
			    nla_get_u8_(a) > KMTLS_DEST_MODE_DISABLED) {
				snprintf(c->why, c->whylen,
					 "dest dump: bad mode attribute");
				return -EPROTO;
			}
			continue;
		}
		want = type == KMTLS_A_DEST_ADDR ? (plen == 4 ? 4 : 16) :
		       type == KMTLS_A_DEST_PREFIX_LEN ? 1 : 2;
		if (plen != want) {
			snprintf(c->why, c->whylen,
				 "dest dump: %s has %d bytes, expected %s",
				 name[type], plen,
				 type == KMTLS_A_DEST_ADDR ? "4 or 16" :
				 want == 1 ? "1" : "2");
			return -EPROTO;
		}
		switch (type) {
		case KMTLS_A_DEST_ADDR:
			d.alen = (__u8)plen;
			memcpy(d.addr, nla_pdata(a), (size_t)plen);
			break;
		case KMTLS_A_DEST_PREFIX_LEN:
			d.plen = nla_get_u8_(a);
			break;
		case KMTLS_A_DEST_PORT_MIN:
			d.pmin = nla_get_u16_(a);
			break;
		default:
			d.pmax = nla_get_u16_(a);
			break;
		}
	}
	if (!nla_walk_complete(rem)) {
		snprintf(c->why, c->whylen,
			 "dest dump: attributes do not parse (%d bytes left)",
			 rem);
		return -EPROTO;
	}
	for (t = KMTLS_A_DEST_ADDR; t <= KMTLS_A_DEST_MAX; t++) {
		if (!seen[t] && t != KMTLS_A_DEST_IDENTITY) {
			snprintf(c->why, c->whylen,
				 "dest dump: a message without %s", name[t]);
			return -EPROTO;
		}
	}
	if (d.plen > d.alen * 8 || d.pmin < 1 || d.pmin > d.pmax) {
		snprintf(c->why, c->whylen, "dest dump: impossible entry %s",
			 fmt_dest(&d, b, sizeof(b)));
		return -EPROTO;
	}
	snap_add_dest(c->sn, &d);
	return 0;
}

static int dump_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct dump_ctx *c = arg;
	const struct genlmsghdr *g;

	if (nlh->nlmsg_type != c->family ||
	    nlh->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN)) {
		snprintf(c->why, c->whylen,
			 "dump message of type %u, length %u (family %u)",
			 nlh->nlmsg_type, nlh->nlmsg_len, c->family);
		return -EPROTO;
	}
	if (!(nlh->nlmsg_flags & NLM_F_MULTI)) {
		snprintf(c->why, c->whylen, "dump message without NLM_F_MULTI");
		return -EPROTO;
	}
	g = NLMSG_DATA(nlh);
	if (g->cmd != c->cmd || g->version != KMTLS_FAMILY_VERSION) {
		snprintf(c->why, c->whylen,
			 "dump message genlmsghdr cmd %u version %u, expected %u/%u",
			 g->cmd, g->version, c->cmd, KMTLS_FAMILY_VERSION);
		return -EPROTO;
	}
	return c->cmd == KMTLS_CMD_IDENTITY_GET ? parse_ident_msg(nlh, c) :
						  parse_dest_msg(nlh, c);
}

/*
 * Dump identities (cmd IDENTITY_GET) or destinations (DEST_GET) into sn
 * (added to what it holds), strictly checked.  rcvlen and n_dgrams as for
 * nl_dump.  0, or -1 with why.
 */
static int dump_one(struct nl_sock *s, __u16 family, __u8 cmd, size_t rcvlen,
		    struct snap *sn, int *n_dgrams, char *why, size_t whylen)
{
	struct dump_ctx c = { family, cmd, sn, why, whylen };
	const char *what = cmd == KMTLS_CMD_IDENTITY_GET ? "identity-get" :
							   "dest-get";
	struct nl_msg m;
	int ret;

	why[0] = '\0';
	genl_dump_req(s, &m, family, cmd, KMTLS_FAMILY_VERSION);
	ret = nl_dump(s, &m, rcvlen, dump_cb, &c, &dump_reply, n_dgrams);
	if (ret == -EPROTO && why[0])
		return -1;	/* dump_cb said why */
	if (ret) {
		snprintf(why, whylen, "%s dump: %s", what, strerror(-ret));
		return -1;
	}
	if (dump_reply.error) {
		snprintf(why, whylen, "%s dump: answered %s (extack: \"%s\")",
			 what, errno_name(dump_reply.error), dump_reply.msg);
		return -1;
	}
	snap_sort(sn);
	return 0;
}

/* Both dumps into a fresh sn.  0, or -1 with why. */
static int snap_take(struct nl_sock *s, __u16 family, struct snap *sn,
		     char *why, size_t whylen)
{
	memset(sn, 0, sizeof(*sn));
	if (dump_one(s, family, KMTLS_CMD_IDENTITY_GET, 0, sn, NULL, why,
		     whylen) ||
	    dump_one(s, family, KMTLS_CMD_DEST_GET, 0, sn, NULL, why, whylen))
		return -1;
	return 0;
}

static void snap_take_ok(struct __test_metadata *_metadata, struct nl_sock *s,
			 __u16 family, struct snap *sn)
{
	char why[WHYLEN];

	ASSERT_EQ(0, snap_take(s, family, sn, why, sizeof(why)))
		TH_LOG("%s", why);
}

#define SNAP(sn) snap_take_ok(_metadata, &self->sk, self->family, (sn))

#define EXPECT_SNAP_EQ(want, got, what) do {				\
	char why_[WHYLEN];						\
	EXPECT_TRUE(snap_equal((want), (got), why_, sizeof(why_)))	\
		TH_LOG("%s: %s", (what), why_);				\
} while (0)

/* ---- requests ---------------------------------------------------------- */

/*
 * Send m (a do request with NLM_F_ACK).  0 with the kernel's answer in
 * *kerr (0 or -errno; its extack in reply), or -1 with why when there was
 * no sane answer (no answer, or reply messages where none belong).
 */
static int send_req(struct nl_sock *s, const struct nl_msg *m, int *kerr,
		    char *why, size_t whylen)
{
	int ret = nl_transact(s, m, &reply);

	if (ret) {
		snprintf(why, whylen, "no answer from the kernel: %s",
			 strerror(-ret));
		return -1;
	}
	if (reply.n_data) {
		snprintf(why, whylen, "%d reply messages, expected none",
			 reply.n_data);
		return -1;
	}
	*kerr = reply.error;
	return 0;
}

static void build_ident(struct nl_sock *s, struct nl_msg *m, __u16 family,
			__u8 cmd, const char *cgroup, const char *spiffe_id)
{
	genl_req(s, m, family, cmd, KMTLS_FAMILY_VERSION);
	if (cgroup)
		nlm_put_strz(m, KMTLS_A_IDENTITY_CGROUP, cgroup);
	if (spiffe_id)
		nlm_put_strz(m, KMTLS_A_IDENTITY_SPIFFE_ID, spiffe_id);
}

/* A destination as a request gives it; absent attributes are < 0. */
struct dest_spec {
	int alen;		/* bytes of addr sent; 0: no addr attribute */
	__u8 addr[20];
	int plen;
	int pmin, pmax;
};

static struct dest_spec dspec(const char *addr, int plen, int pmin, int pmax)
{
	struct dest_spec sp;

	memset(&sp, 0, sizeof(sp));
	if (addr) {
		if (inet_pton(AF_INET, addr, sp.addr) == 1) {
			sp.alen = 4;
		} else if (inet_pton(AF_INET6, addr, sp.addr) == 1) {
			sp.alen = 16;
		} else {
			fprintf(stderr, "# bad address %s in the test\n", addr);
			abort();
		}
	}
	sp.plen = plen;
	sp.pmin = pmin;
	sp.pmax = pmax;
	return sp;
}

/* What the dump should show for sp (a valid one). */
static struct dest dest_of(const struct dest_spec *sp)
{
	struct dest d;

	memset(&d, 0, sizeof(d));
	d.alen = (__u8)sp->alen;
	memcpy(d.addr, sp->addr, (size_t)sp->alen);
	d.plen = (__u8)(sp->plen >= 0 ? sp->plen : sp->alen * 8);
	d.pmin = (__u16)(sp->pmin >= 0 ? sp->pmin : 1);
	d.pmax = (__u16)(sp->pmax >= 0 ? sp->pmax :
			 sp->pmin >= 0 ? sp->pmin : 65535);
	return d;
}

static const char *fmt_spec(const struct dest_spec *sp, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "(none)";
	char p[16] = "(none)", lo[16] = "(none)", hi[16] = "(none)";

	if (sp->alen == 4 || sp->alen == 16) {
		if (!inet_ntop(sp->alen == 4 ? AF_INET : AF_INET6, sp->addr,
			       a, sizeof(a)))
			snprintf(a, sizeof(a), "?");
	} else if (sp->alen) {
		snprintf(a, sizeof(a), "(%d bytes)", sp->alen);
	}
	if (sp->plen >= 0)
		snprintf(p, sizeof(p), "%d", sp->plen);
	if (sp->pmin >= 0)
		snprintf(lo, sizeof(lo), "%d", sp->pmin);
	if (sp->pmax >= 0)
		snprintf(hi, sizeof(hi), "%d", sp->pmax);
	snprintf(buf, len, "addr %s prefix-len %s port-min %s port-max %s",
		 a, p, lo, hi);
	return buf;
}

static void build_dest(struct nl_sock *s, struct nl_msg *m, __u16 family,
		       __u8 cmd, const struct dest_spec *sp)
{
	genl_req(s, m, family, cmd, KMTLS_FAMILY_VERSION);
	if (sp->alen)
		nlm_put_attr(m, KMTLS_A_DEST_ADDR, sp->addr, (size_t)sp->alen);
	if (sp->plen >= 0)
		nlm_put_u8(m, KMTLS_A_DEST_PREFIX_LEN, (__u8)sp->plen);
	if (sp->pmin >= 0)
		nlm_put_u16(m, KMTLS_A_DEST_PORT_MIN, (__u16)sp->pmin);
	if (sp->pmax >= 0)
		nlm_put_u16(m, KMTLS_A_DEST_PORT_MAX, (__u16)sp->pmax);
}

/* Send m and require success. */
static void req_ok(struct __test_metadata *_metadata, struct nl_sock *s,
		   const struct nl_msg *m, const char *what)
{
	char why[WHYLEN];
	int kerr = 0;

	ASSERT_EQ(0, send_req(s, m, &kerr, why, sizeof(why)))
		TH_LOG("%s: %s", what, why);
	ASSERT_EQ(0, kerr)
		TH_LOG("%s: rejected with %s (extack: \"%s\")", what,
		       errno_name(kerr), reply.msg);
}

#define IDENT_OK(cmd, cgroup, id) do {					\
	struct nl_msg m_;						\
	char what_[WHYLEN];						\
	build_ident(&self->sk, &m_, self->family, (cmd), (cgroup), (id)); \
	snprintf(what_, sizeof(what_), "%s %s %.80s",			\
		 (cmd) == KMTLS_CMD_IDENTITY_ADD ? "identity-add" :	\
						   "identity-del",	\
		 (cgroup), (id) ? (const char *)(id) : "");		\
	req_ok(_metadata, &self->sk, &m_, what_);			\
} while (0)

#define DEST_OK(cmd, sp) do {						\
	struct nl_msg m_;						\
	char what_[WHYLEN], b_[160];					\
	build_dest(&self->sk, &m_, self->family, (cmd), (sp));		\
	snprintf(what_, sizeof(what_), "%s %s",				\
		 (cmd) == KMTLS_CMD_DEST_ADD ? "dest-add" : "dest-del",	\
		 fmt_spec((sp), b_, sizeof(b_)));			\
	req_ok(_metadata, &self->sk, &m_, what_);			\
} while (0)

/* Should a rejected add have gone through after all: take it back. */
static void undo_add(struct nl_sock *s, const struct nl_msg *m)
{
	struct genlmsghdr *g;
	struct nl_msg del;
	char why[WHYLEN];
	int kerr;

	memcpy(&del, m, sizeof(del));
	g = (struct genlmsghdr *)(del.buf + NLMSG_HDRLEN);
	if (g->cmd == KMTLS_CMD_IDENTITY_ADD)
		g->cmd = KMTLS_CMD_IDENTITY_DEL;
	else if (g->cmd == KMTLS_CMD_DEST_ADD)
		g->cmd = KMTLS_CMD_DEST_DEL;
	else
		return;
	del.nlh.nlmsg_seq = ++s->seq;
	send_req(s, &del, &kerr, why, sizeof(why));
}

/*
 * Send m and check that the kernel rejects it: errno err1 (or err2 if not
 * 0), an extack and no reply message, and that neither dump changed.  The
 * extack is a non-empty message; where miss_type is not 0 (a required
 * attribute left out) NLMSGERR_ATTR_MISS_TYPE naming it will do as well.
 */
static void check_rejected(struct __test_metadata *_metadata,
			   struct nl_sock *s, __u16 family,
			   const struct nl_msg *m, const char *what,
			   int err1, int err2, __u32 miss_type)
{
	struct snap before, after;
	char why[WHYLEN];
	int kerr = 0;

	snap_take_ok(_metadata, s, family, &before);
	ASSERT_EQ(0, send_req(s, m, &kerr, why, sizeof(why)))
		TH_LOG("%s: %s", what, why);
	EXPECT_TRUE(kerr == -err1 || (err2 && kerr == -err2))
		TH_LOG("%s: answered %s (extack: \"%s\"), expected %s%s%s",
		       what, errno_name(kerr), reply.msg, errno_name(err1),
		       err2 ? " or " : "", err2 ? errno_name(err2) : "");
	if (kerr == 0)
		undo_add(s, m);
	if (kerr < 0 && miss_type) {
		EXPECT_TRUE((reply.has_msg && reply.msg[0]) ||
			    reply.has_miss_type)
			TH_LOG("%s: rejected with %s without an extack (no message, no missing-attribute type)",
			       what, errno_name(kerr));
		if (reply.has_miss_type)
			EXPECT_EQ(miss_type, reply.miss_type)
				TH_LOG("%s: extack names attribute %u as missing, expected %u",
				       what, reply.miss_type, miss_type);
	} else if (kerr < 0) {
		EXPECT_TRUE(reply.has_msg && reply.msg[0])
			TH_LOG("%s: rejected with %s but without an extack message",
			       what, errno_name(kerr));
	}
	snap_take_ok(_metadata, s, family, &after);
	EXPECT_SNAP_EQ(&before, &after, what);
	snap_free(&before);
	snap_free(&after);
}

static void ident_rejected(struct __test_metadata *_metadata,
			   struct nl_sock *s, __u16 family, __u8 cmd,
			   const char *cgroup, const char *spiffe_id,
			   int err1, int err2, __u32 miss_type)
{
	char what[WHYLEN];
	struct nl_msg m;
	size_t n = spiffe_id ? strlen(spiffe_id) : 0;

	build_ident(s, &m, family, cmd, cgroup, spiffe_id);
	snprintf(what, sizeof(what), "%s cgroup %s%s%s spiffe-id %s%.60s%s%s",
		 cmd == KMTLS_CMD_IDENTITY_ADD ? "identity-add" : "identity-del",
		 cgroup ? "\"" : "", cgroup ? cgroup : "(none)",
		 cgroup ? "\"" : "", spiffe_id ? "\"" : "(none)",
		 spiffe_id ? spiffe_id : "", n > 60 ? "..." : "",
		 spiffe_id ? "\"" : "");
	if (n > 60)
		snprintf(what + strlen(what), sizeof(what) - strlen(what),
			 " (%zu characters)", n);
	check_rejected(_metadata, s, family, &m, what, err1, err2, miss_type);
}

static void dest_rejected(struct __test_metadata *_metadata,
			  struct nl_sock *s, __u16 family, __u8 cmd,
			  const struct dest_spec *sp, int err1, int err2)
{
	char what[WHYLEN], b[160];
	struct nl_msg m;

	build_dest(s, &m, family, cmd, sp);
	snprintf(what, sizeof(what), "%s %s",
		 cmd == KMTLS_CMD_DEST_ADD ? "dest-add" : "dest-del",
		 fmt_spec(sp, b, sizeof(b)));
	check_rejected(_metadata, s, family, &m, what, err1, err2, 0);
}

/* Open a socket and resolve the family, or fail the test. */
static void open_family(struct __test_metadata *_metadata, struct nl_sock *s,
			__u16 *family)
{
	struct genl_family_info fi;
	int ret;

	s->fd = -1;
	ret = nl_open(s, 2000);
	ASSERT_EQ(0, ret)
		TH_LOG("cannot open a generic netlink socket: %s",
		       strerror(-ret));
	ret = genl_resolve(s, KMTLS_FAMILY_NAME, &fi);
	if (ret)
		nl_close(s);
	ASSERT_EQ(0, ret)
		TH_LOG("generic netlink family \"%s\" not found (%s): is the kmtls module loaded?",
		       KMTLS_FAMILY_NAME, errno_name(ret));
	*family = fi.id;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Run fn(arg) in a forked child; its exit status, or -1 if it died. */
static int run_child(int (*fn)(__u16 family, const void *arg), __u16 family,
		     const void *arg)
{
	int status;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(fn(family, arg));
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* ---- identities -------------------------------------------------------- */

static void cg_fspath(int i, char *buf, size_t len)
{
	snprintf(buf, len, CG_MNT "%s", cg_path[i]);
}

/* rmdir our cgroups, deepest first; missing ones are fine.  0, or -1 with
 * why (the first failure; the others are still tried).
 */
static int cg_remove_all(char *why, size_t whylen)
{
	char p[256];
	int i, ret = 0;

	for (i = 0; i < N_CG; i++) {
		cg_fspath(cg_rmdir_order[i], p, sizeof(p));
		if (rmdir(p) && errno != ENOENT && !ret) {
			snprintf(why, whylen, "rmdir %s: %s", p,
				 strerror(errno));
			ret = -1;
		}
	}
	return ret;
}

FIXTURE(identity) {
	struct nl_sock sk;
	__u16 family;
	__u64 ino[N_CG];	/* each cgroup's inode number: its id */
};

/*
 * A run that died may have left our cgroups, with identities: those are
 * deleted, the cgroups removed, and we wait for the collector to drop what
 * it must.  Identities of cgroups removed earlier in this run (that the
 * collector failed to drop: identity.gc_after_rmdir reports that) are left
 * alone; they have cgroup ids of their own, and every test compares with
 * the dump it found.  Then our cgroups are made afresh.  No ASSERT after
 * the first mkdir without cleaning up first: a failed setup gets no
 * teardown.
 */
FIXTURE_SETUP(identity)
{
	char why[WHYLEN], p[256];
	struct statfs sfs;
	struct snap sn;
	struct stat st;
	bool leftovers = false;
	double t0;
	int i, j;

	open_family(_metadata, &self->sk, &self->family);
	if (statfs(CG_MNT, &sfs) || sfs.f_type != CGROUP2_SUPER_MAGIC) {
		nl_close(&self->sk);
		ASSERT_TRUE(false)
			TH_LOG("cgroup2 is not mounted at " CG_MNT);
	}

	for (i = 0; i < N_CG; i++) {
		struct nl_msg m;
		int kerr;

		cg_fspath(i, p, sizeof(p));
		if (access(p, F_OK))
			continue;
		TH_LOG("removing the leftover cgroup %s (and its identity)", p);
		leftovers = true;
		build_ident(&self->sk, &m, self->family,
			    KMTLS_CMD_IDENTITY_DEL, cg_path[i], NULL);
		send_req(&self->sk, &m, &kerr, why, sizeof(why));
	}
	if (cg_remove_all(why, sizeof(why))) {
		nl_close(&self->sk);
		ASSERT_TRUE(false)
			TH_LOG("removing leftover test cgroups: %s", why);
	}
	/* Identities of the leftover cgroups just removed: the collector's. */
	for (t0 = now_s(); leftovers;) {
		bool any = false;

		if (snap_take(&self->sk, self->family, &sn, why, sizeof(why))) {
			nl_close(&self->sk);
			ASSERT_TRUE(false) TH_LOG("%s", why);
		}
		for (i = 0; i < sn.n_ids; i++)
			any |= ident_is_ours(sn.ids[i].cgroup);
		snap_free(&sn);
		if (!any)
			break;
		if (now_s() - t0 > GC_WAIT_MS / 1000.0) {
			nl_close(&self->sk);
			ASSERT_TRUE(false)
				TH_LOG("identities of the leftover cgroups under " CG_TOP " do not go away");
		}
		usleep(GC_POLL_MS * 1000);
	}

	for (j = N_CG - 1; j >= 0; j--) {
		i = cg_rmdir_order[j];
		cg_fspath(i, p, sizeof(p));
		if (mkdir(p, 0755) || stat(p, &st)) {
			snprintf(why, sizeof(why), "%s: %s", p,
				 strerror(errno));
			cg_remove_all(p, sizeof(p));
			nl_close(&self->sk);
			ASSERT_TRUE(false)
				TH_LOG("making test cgroup %s", why);
		}
		self->ino[i] = (__u64)st.st_ino;
	}
}

/* Plain code, no EXPECT_*: after a failed ASSERT the harness's handler
 * flag is still set and would print a bogus message.
 */
FIXTURE_TEARDOWN(identity)
{
	char why[WHYLEN];
	struct snap sn;
	int i, k;

	for (i = 0; i < N_CG; i++) {
		struct nl_msg m;
		int kerr = 0;

		build_ident(&self->sk, &m, self->family,
			    KMTLS_CMD_IDENTITY_DEL, cg_path[i], NULL);
		if (send_req(&self->sk, &m, &kerr, why, sizeof(why))) {
			TH_LOG("teardown: identity-del %s: %s", cg_path[i], why);
			_metadata->passed = 0;
		} else if (kerr && kerr != -ENOENT) {
			TH_LOG("teardown: identity-del %s: %s (extack: \"%s\")",
			       cg_path[i], errno_name(kerr), reply.msg);
			_metadata->passed = 0;
		}
	}
	/* Nothing of this test's cgroups may be left. */
	if (snap_take(&self->sk, self->family, &sn, why, sizeof(why))) {
		TH_LOG("teardown: %s", why);
		_metadata->passed = 0;
	} else {
		for (i = 0; i < sn.n_ids; i++) {
			char b[256];

			for (k = 0; k < N_CG; k++)
				if (sn.ids[i].cgid == self->ino[k])
					break;
			if (k == N_CG)
				continue;
			TH_LOG("teardown: identity left behind: %s",
			       fmt_ident(&sn.ids[i], b, sizeof(b)));
			_metadata->passed = 0;
		}
		snap_free(&sn);
	}
	if (cg_remove_all(why, sizeof(why))) {
		TH_LOG("teardown: %s", why);
		_metadata->passed = 0;
	}
	nl_close(&self->sk);
}

/* Add, dump (exactly the entry, with the cgroup's inode number as its id),
 * duplicate add, del, del again.
 */
TEST_F(identity, add_dump_del)
{
	struct snap before, want, got;
	int i;

	SNAP(&before);
	IDENT_OK(KMTLS_CMD_IDENTITY_ADD, CG_A, ID_WEB);
	SNAP(&got);
	snap_copy(&want, &before);
	snap_add_ident(&want, CG_A, ID_WEB, self->ino[I_A]);
	snap_sort(&want);
	EXPECT_SNAP_EQ(&want, &got, "after identity-add " CG_A);
	i = ident_find_id(&got, self->ino[I_A]);
	ASSERT_LE(0, i)
		TH_LOG("no identity with cgroup-id %llu (the inode number of " CG_MNT CG_A ") in the dump",
		       (unsigned long long)self->ino[I_A]);
	EXPECT_STREQ(CG_A, got.ids[i].cgroup);
	EXPECT_STREQ(ID_WEB, got.ids[i].spiffe_id);
	snap_free(&got);

	/* The same again, and another ID for the same cgroup. */
	ident_rejected(_metadata, &self->sk, self->family,
		       KMTLS_CMD_IDENTITY_ADD, CG_A, ID_WEB, EEXIST, 0, 0);
	ident_rejected(_metadata, &self->sk, self->family,
		       KMTLS_CMD_IDENTITY_ADD, CG_A, ID_DB, EEXIST, 0, 0);

	IDENT_OK(KMTLS_CMD_IDENTITY_DEL, CG_A, NULL);
	SNAP(&got);
	EXPECT_SNAP_EQ(&before, &got, "after identity-del " CG_A);
	snap_free(&got);

	ident_rejected(_metadata, &self->sk, self->family,
		       KMTLS_CMD_IDENTITY_DEL, CG_A, NULL, ENOENT, 0, 0);
	snap_free(&want);
	snap_free(&before);
}

/* A cgroup and its child are separate entries, each with its own id. */
TEST_F(identity, nested)
{
	struct snap before, want, got;

	SNAP(&before);
	IDENT_OK(KMTLS_CMD_IDENTITY_ADD, CG_A, ID_WEB);
	IDENT_OK(KMTLS_CMD_IDENTITY_ADD, CG_AB, ID_DB);
	EXPECT_NE(self->ino[I_A], self->ino[I_AB]);
	SNAP(&got);
	snap_copy(&want, &before);
	snap_add_ident(&want, CG_A, ID_WEB, self->ino[I_A]);
	snap_add_ident(&want, CG_AB, ID_DB, self->ino[I_AB]);
	snap_sort(&want);
	EXPECT_SNAP_EQ(&want, &got, "after adding " CG_A " and " CG_AB);
	snap_free(&want);
	snap_free(&got);

	/* Deleting the child leaves the parent alone. */
	IDENT_OK(KMTLS_CMD_IDENTITY_DEL, CG_AB, NULL);
	SNAP(&got);
	snap_copy(&want, &before);
	snap_add_ident(&want, CG_A, ID_WEB, self->ino[I_A]);
	snap_sort(&want);
	EXPECT_SNAP_EQ(&want, &got, "after deleting " CG_AB);
	snap_free(&want);
	snap_free(&got);

	IDENT_OK(KMTLS_CMD_IDENTITY_DEL, CG_A, NULL);
	SNAP(&got);
	EXPECT_SNAP_EQ(&before, &got, "after deleting both");
	snap_free(&got);
	snap_free(&before);
}

/* A cgroup that does not exist: ENOENT for add and del. */
TEST_F(identity, missing_cgroup)
{
	ident_rejected(_metadata, &self->sk, self->family,
		       KMTLS_CMD_IDENTITY_ADD, CG_MISSING, ID_WEB, ENOENT, 0, 0);
	ident_rejected(_metadata, &self->sk, self->family,
		       KMTLS_CMD_IDENTITY_ADD, CG_MISSING "/deeper", ID_WEB,
		       ENOENT, 0, 0);
	ident_rejected(_metadata, &self->sk, self->family,
		       KMTLS_CMD_IDENTITY_DEL, CG_MISSING, NULL, ENOENT, 0, 0);
}

/* Build "spiffe://td/aaa...": exactly len characters. */
static char *long_spiffe_id(size_t len)
{
	static const char head[] = "spiffe://td/";
	char *s = malloc(len + 1);

	if (!s || len < sizeof(head)) {
		fprintf(stderr, "# long_spiffe_id: bad length %zu\n", len);
		abort();
	}
	memcpy(s, head, sizeof(head) - 1);
	memset(s + sizeof(head) - 1, 'a', len - (sizeof(head) - 1));
	s[len] = '\0';
	return s;
}

/* SPIFFE IDs that are not workload SPIFFE IDs: EINVAL, nothing added. */
TEST_F(identity, invalid_spiffe_ids)
{
	static const char *const bad[] = {
		"",
		"http://x/y",
		"spiffe://",
		"spiffe://td",
		"spiffe://td/",
		"spiffe://TD/x",
		"spiffe://td//x",
		"spiffe://td/a/./b",
		"spiffe://td/a/../b",
		"spiffe://td:443/x",
		"spiffe://u@td/x",
		"spiffe://td/x?q",
		"spiffe://td/x#f",
	};
	char *toolong;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		ident_rejected(_metadata, &self->sk, self->family,
			       KMTLS_CMD_IDENTITY_ADD, CG_A, bad[i],
			       EINVAL, 0, 0);

	/* One past the policy's max-len: the policy itself says no. */
	toolong = long_spiffe_id(KMTLS_SPIFFE_ID_MAX_LEN + 1);
	ident_rejected(_metadata, &self->sk, self->family,
		       KMTLS_CMD_IDENTITY_ADD, CG_A, toolong, EINVAL, ERANGE, 0);
	free(toolong);
}

/* Valid SPIFFE IDs, up to the longest allowed, are kept exactly. */
TEST_F(identity, valid_spiffe_ids)
{
	char *longest = long_spiffe_id(KMTLS_SPIFFE_ID_MAX_LEN);
	const char *good[] = {
		"spiffe://prod.example/ns/web",
		"spiffe://a-b_c.d/X.y-z_1",
		longest,
	};
	struct snap before, want, got;
	size_t i;

	SNAP(&before);
	for (i = 0; i < ARRAY_SIZE(good); i++) {
		IDENT_OK(KMTLS_CMD_IDENTITY_ADD, CG_A, good[i]);
		SNAP(&got);
		snap_copy(&want, &before);
		snap_add_ident(&want, CG_A, good[i], self->ino[I_A]);
		snap_sort(&want);
		EXPECT_SNAP_EQ(&want, &got, good[i]);
		snap_free(&want);
		snap_free(&got);

		IDENT_OK(KMTLS_CMD_IDENTITY_DEL, CG_A, NULL);
		SNAP(&got);
		EXPECT_SNAP_EQ(&before, &got, "after identity-del " CG_A);
		snap_free(&got);
	}
	snap_free(&before);
	free(longest);
}

/* Required attributes left out: EINVAL, with an extack. */
TEST_F(identity, missing_attrs)
{
	ident_rejected(_metadata, &self->sk, self->family,
		       KMTLS_CMD_IDENTITY_ADD, NULL, NULL, EINVAL, 0,
		       KMTLS_A_IDENTITY_CGROUP);
	ident_rejected(_metadata, &self->sk, self->family,
		       KMTLS_CMD_IDENTITY_ADD, NULL, ID_WEB, EINVAL, 0,
		       KMTLS_A_IDENTITY_CGROUP);
	ident_rejected(_metadata, &self->sk, self->family,
		       KMTLS_CMD_IDENTITY_ADD, CG_A, NULL, EINVAL, 0,
		       KMTLS_A_IDENTITY_SPIFFE_ID);
	ident_rejected(_metadata, &self->sk, self->family,
		       KMTLS_CMD_IDENTITY_DEL, NULL, NULL, EINVAL, 0,
		       KMTLS_A_IDENTITY_CGROUP);
}

/* rmdir of a cgroup with an identity: the collector drops the entry. */
TEST_F(identity, gc_after_rmdir)
{
	struct snap before, want, got;
	char p[256];
	double t0, waited;
	bool gone = false;

	SNAP(&before);
	IDENT_OK(KMTLS_CMD_IDENTITY_ADD, CG_GC, ID_WEB);
	SNAP(&got);
	snap_copy(&want, &before);
	snap_add_ident(&want, CG_GC, ID_WEB, self->ino[I_GC]);
	snap_sort(&want);
	EXPECT_SNAP_EQ(&want, &got, "after identity-add " CG_GC);
	snap_free(&want);
	snap_free(&got);

	cg_fspath(I_GC, p, sizeof(p));
	ASSERT_EQ(0, rmdir(p)) TH_LOG("rmdir %s: %s", p, strerror(errno));

	t0 = now_s();
	for (;;) {
		SNAP(&got);
		gone = ident_find_id(&got, self->ino[I_GC]) < 0;
		waited = now_s() - t0;
		if (gone || waited > GC_WAIT_MS / 1000.0)
			break;
		snap_free(&got);
		usleep(GC_POLL_MS * 1000);
	}
	EXPECT_TRUE(gone)
		TH_LOG("the identity of the removed cgroup " CG_GC " is still there after %.1f s (the collector runs every 2 s)",
		       waited);
	EXPECT_SNAP_EQ(&before, &got, "after the collector ran");
	snap_free(&got);
	snap_free(&before);
}

/* In a forked child, as nobody without capabilities: identity-add and
 * identity-del answer EPERM, and the dump works and shows *arg.
 */
static int ident_unpriv_child(__u16 family, const void *arg)
{
	const struct ident *want = arg;
	struct nl_sock s;
	struct nl_msg m;
	struct snap sn;
	char why[WHYLEN];
	int ret, kerr = 0, i;

	if (become_nobody(why, sizeof(why))) {
		fprintf(stderr, "# unprivileged child: %s\n", why);
		return 10;
	}
	/* Opened after the drop: the socket's credentials are nobody's too. */
	ret = nl_open(&s, 2000);
	if (ret) {
		fprintf(stderr, "# unprivileged child: socket: %s\n",
			strerror(-ret));
		return 11;
	}

	build_ident(&s, &m, family, KMTLS_CMD_IDENTITY_ADD, CG_AB, ID_DB);
	if (send_req(&s, &m, &kerr, why, sizeof(why))) {
		fprintf(stderr, "# unprivileged identity-add: %s\n", why);
		return 12;
	}
	if (kerr != -EPERM) {
		fprintf(stderr, "# unprivileged identity-add: answered %s (extack \"%s\"), expected EPERM\n",
			errno_name(kerr), reply.msg);
		return 13;
	}

	build_ident(&s, &m, family, KMTLS_CMD_IDENTITY_DEL, want->cgroup, NULL);
	if (send_req(&s, &m, &kerr, why, sizeof(why))) {
		fprintf(stderr, "# unprivileged identity-del: %s\n", why);
		return 14;
	}
	if (kerr != -EPERM) {
		fprintf(stderr, "# unprivileged identity-del: answered %s (extack \"%s\"), expected EPERM\n",
			errno_name(kerr), reply.msg);
		return 15;
	}

	memset(&sn, 0, sizeof(sn));
	if (dump_one(&s, family, KMTLS_CMD_IDENTITY_GET, 0, &sn, NULL, why,
		     sizeof(why))) {
		fprintf(stderr, "# unprivileged %s\n", why);
		return 16;
	}
	i = ident_find_id(&sn, want->cgid);
	if (i < 0 || ident_cmp(&sn.ids[i], want)) {
		char b[256];

		fprintf(stderr, "# unprivileged identity dump: %s is not there (%d entries)\n",
			fmt_ident(want, b, sizeof(b)), sn.n_ids);
		return 17;
	}
	snap_free(&sn);
	nl_close(&s);
	return 0;
}

/* identity-add and -del need CAP_NET_ADMIN; identity-get is open. */
TEST_F(identity, unprivileged)
{
	struct ident want = { CG_A, ID_WEB, 0 };
	struct snap before, got;
	int status;

	if (geteuid() != 0)
		SKIP(return, "needs root to become nobody");
	IDENT_OK(KMTLS_CMD_IDENTITY_ADD, CG_A, ID_WEB);
	want.cgid = self->ino[I_A];
	SNAP(&before);

	status = run_child(ident_unpriv_child, self->family, &want);
	ASSERT_LE(0, status) TH_LOG("unprivileged child died");
	EXPECT_EQ(0, status) TH_LOG("unprivileged child failed (see above)");

	SNAP(&got);
	EXPECT_SNAP_EQ(&before, &got, "after the unprivileged child");
	snap_free(&got);
	snap_free(&before);
	IDENT_OK(KMTLS_CMD_IDENTITY_DEL, CG_A, NULL);
}

/* ---- destinations ------------------------------------------------------ */

/* Every destination the tests add, for teardown (and leftovers). */
#define D_V4		dspec("10.0.0.0", 8, 5432, 5432)
#define D_V6		dspec("fd00::", 64, 443, 443)
#define D_NOPORTS	dspec("192.0.2.0", 24, -1, -1)
#define D_MINONLY	dspec("198.51.100.0", 24, 8080, -1)
#define D_OTHER		dspec("203.0.113.0", 24, 80, 80)

static struct dest_spec dest_used(int i)
{
	switch (i) {
	case 0:		return D_V4;
	case 1:		return D_V6;
	case 2:		return D_NOPORTS;
	case 3:		return D_MINONLY;
	default:	return D_OTHER;
	}
}

#define N_DEST_USED 5

/* The bulk test's destinations: IPv4 /32s and IPv6 /128s with a port each. */
static struct dest_spec bulk_spec(int i)
{
	char a[64];

	if (i % 3 == 0) {
		snprintf(a, sizeof(a), "2001:db8:6b6d::%x", i);
		return dspec(a, 128, 30000 + i, 30000 + i);
	}
	snprintf(a, sizeof(a), "198.18.%d.%d", i / 256, i % 256);
	return dspec(a, 32, 20000 + i, 20000 + i);
}

static bool dest_is_ours(const struct dest *d)
{
	struct dest_spec sp;
	struct dest o;
	int i;

	for (i = 0; i < N_DEST_USED + BULK_N; i++) {
		sp = i < N_DEST_USED ? dest_used(i) : bulk_spec(i - N_DEST_USED);
		o = dest_of(&sp);
		if (!dest_cmp(&o, d))
			return true;
	}
	return false;
}

/* dest-del of d itself; 0 or -1 with why.  ENOENT is fine when
 * missing_ok.
 */
static int dest_del_quiet(struct nl_sock *s, __u16 family,
			  const struct dest_spec *sp, bool missing_ok,
			  char *why, size_t whylen)
{
	struct nl_msg m;
	char b[160];
	int kerr = 0;

	build_dest(s, &m, family, KMTLS_CMD_DEST_DEL, sp);
	if (send_req(s, &m, &kerr, why, whylen))
		return -1;
	if (kerr == 0 || (missing_ok && kerr == -ENOENT))
		return 0;
	snprintf(why, whylen, "dest-del %s: %s (extack: \"%s\")",
		 fmt_spec(sp, b, sizeof(b)), errno_name(kerr), reply.msg);
	return -1;
}

FIXTURE(dest) {
	struct nl_sock sk;
	__u16 family;
	bool bulk;		/* the bulk test's entries may exist */
	struct snap baseline;	/* what teardown must leave */
};

/* Destinations of ours left over by a run that died are deleted. */
FIXTURE_SETUP(dest)
{
	char why[WHYLEN], b[160];
	struct dest_spec sp;
	int i;

	open_family(_metadata, &self->sk, &self->family);
	if (snap_take(&self->sk, self->family, &self->baseline, why,
		      sizeof(why))) {
		nl_close(&self->sk);
		ASSERT_TRUE(false) TH_LOG("%s", why);
	}
	for (i = 0; i < self->baseline.n_dests; i++) {
		const struct dest *d = &self->baseline.dests[i];

		if (!dest_is_ours(d))
			continue;
		TH_LOG("deleting a leftover destination %s",
		       fmt_dest(d, b, sizeof(b)));
		memset(&sp, 0, sizeof(sp));
		sp.alen = d->alen;
		memcpy(sp.addr, d->addr, d->alen);
		sp.plen = d->plen;
		sp.pmin = d->pmin;
		sp.pmax = d->pmax;
		if (dest_del_quiet(&self->sk, self->family, &sp, false, why,
				   sizeof(why))) {
			nl_close(&self->sk);
			ASSERT_TRUE(false) TH_LOG("%s", why);
		}
	}
	snap_free(&self->baseline);
	if (snap_take(&self->sk, self->family, &self->baseline, why,
		      sizeof(why))) {
		nl_close(&self->sk);
		ASSERT_TRUE(false) TH_LOG("%s", why);
	}
}

/* Plain code, no EXPECT_* (see the identity teardown). */
FIXTURE_TEARDOWN(dest)
{
	char why[WHYLEN];
	struct dest_spec sp;
	struct snap sn;
	int i;

	for (i = 0; i < N_DEST_USED + (self->bulk ? BULK_N : 0); i++) {
		sp = i < N_DEST_USED ? dest_used(i) : bulk_spec(i - N_DEST_USED);
		if (dest_del_quiet(&self->sk, self->family, &sp, true, why,
				   sizeof(why))) {
			TH_LOG("teardown: %s", why);
			_metadata->passed = 0;
		}
	}
	if (snap_take(&self->sk, self->family, &sn, why, sizeof(why))) {
		TH_LOG("teardown: %s", why);
		_metadata->passed = 0;
	} else {
		/* Destinations only: the identity collector is not ours. */
		snap_drop_ids(&self->baseline);
		snap_drop_ids(&sn);
		if (!snap_equal(&self->baseline, &sn, why, sizeof(why))) {
			TH_LOG("teardown: not back to where the test started: %s",
			       why);
			_metadata->passed = 0;
		}
		snap_free(&sn);
	}
	snap_free(&self->baseline);
	nl_close(&self->sk);
}

/* Add sp, then check that the dump is want (what it was) plus exactly the
 * destination sp describes; want gets it.
 */
static void dest_add_check(struct __test_metadata *_metadata,
			   FIXTURE_DATA(dest) *self, const struct dest_spec *sp,
			   struct snap *want)
{
	struct dest d = dest_of(sp);
	char what[WHYLEN], b[160], b2[160];
	struct snap got;

	DEST_OK(KMTLS_CMD_DEST_ADD, sp);
	snap_add_dest(want, &d);
	snap_sort(want);
	SNAP(&got);
	snprintf(what, sizeof(what), "after dest-add %s (shown as %s)",
		 fmt_spec(sp, b, sizeof(b)), fmt_dest(&d, b2, sizeof(b2)));
	EXPECT_SNAP_EQ(want, &got, what);
	snap_free(&got);
}

/* IPv4 prefix with one port: add, dump, duplicate, inexact dels, del. */
TEST_F(dest, add_dump_del_v4)
{
	struct dest_spec sp = D_V4, near;
	struct snap before, want, got;

	SNAP(&before);
	snap_copy(&want, &before);
	dest_add_check(_metadata, self, &sp, &want);

	dest_rejected(_metadata, &self->sk, self->family, KMTLS_CMD_DEST_ADD,
		      &sp, EEXIST, 0);

	/* del matches exactly: another port, prefix or range is not it. */
	near = dspec("10.0.0.0", 8, 5433, 5433);
	dest_rejected(_metadata, &self->sk, self->family, KMTLS_CMD_DEST_DEL,
		      &near, ENOENT, 0);
	near = dspec("10.0.0.0", 16, 5432, 5432);
	dest_rejected(_metadata, &self->sk, self->family, KMTLS_CMD_DEST_DEL,
		      &near, ENOENT, 0);
	near = dspec("10.0.0.0", 8, 5432, 5433);
	dest_rejected(_metadata, &self->sk, self->family, KMTLS_CMD_DEST_DEL,
		      &near, ENOENT, 0);
	near = dspec("10.0.0.0", 8, -1, -1);
	dest_rejected(_metadata, &self->sk, self->family, KMTLS_CMD_DEST_DEL,
		      &near, ENOENT, 0);

	DEST_OK(KMTLS_CMD_DEST_DEL, &sp);
	SNAP(&got);
	EXPECT_SNAP_EQ(&before, &got, "after dest-del 10.0.0.0/8 port 5432");
	snap_free(&got);

	dest_rejected(_metadata, &self->sk, self->family, KMTLS_CMD_DEST_DEL,
		      &sp, ENOENT, 0);
	snap_free(&want);
	snap_free(&before);
}

/* IPv6 prefix with a one-port range. */
TEST_F(dest, add_dump_del_v6)
{
	struct dest_spec sp = D_V6;
	struct snap before, want, got;

	SNAP(&before);
	snap_copy(&want, &before);
	dest_add_check(_metadata, self, &sp, &want);
	dest_rejected(_metadata, &self->sk, self->family, KMTLS_CMD_DEST_ADD,
		      &sp, EEXIST, 0);
	DEST_OK(KMTLS_CMD_DEST_DEL, &sp);
	SNAP(&got);
	EXPECT_SNAP_EQ(&before, &got, "after dest-del fd00::/64 port 443");
	snap_free(&got);
	snap_free(&want);
	snap_free(&before);
}

/* No port attributes: every port, 1..65535 (the same destination as the
 * explicit range).
 */
TEST_F(dest, default_ports)
{
	struct dest_spec sp = D_NOPORTS, explicit_;
	struct snap before, want, got;

	SNAP(&before);
	snap_copy(&want, &before);
	dest_add_check(_metadata, self, &sp, &want);
	explicit_ = dspec("192.0.2.0", 24, 1, 65535);
	dest_rejected(_metadata, &self->sk, self->family, KMTLS_CMD_DEST_ADD,
		      &explicit_, EEXIST, 0);
	DEST_OK(KMTLS_CMD_DEST_DEL, &sp);
	SNAP(&got);
	EXPECT_SNAP_EQ(&before, &got, "after dest-del 192.0.2.0/24");
	snap_free(&got);
	snap_free(&want);
	snap_free(&before);
}

/* Only port-min: that single port. */
TEST_F(dest, port_min_only)
{
	struct dest_spec sp = D_MINONLY, explicit_;
	struct snap before, want, got;

	SNAP(&before);
	snap_copy(&want, &before);
	dest_add_check(_metadata, self, &sp, &want);
	explicit_ = dspec("198.51.100.0", 24, 8080, 8080);
	dest_rejected(_metadata, &self->sk, self->family, KMTLS_CMD_DEST_ADD,
		      &explicit_, EEXIST, 0);
	DEST_OK(KMTLS_CMD_DEST_DEL, &sp);
	SNAP(&got);
	EXPECT_SNAP_EQ(&before, &got, "after dest-del 198.51.100.0/24 port 8080");
	snap_free(&got);
	snap_free(&want);
	snap_free(&before);
}

/*
 * Malformed destinations: EINVAL with an extack, nothing added.  Those the
 * attribute policy rejects (address length outside 4..16, prefix-len over
 * 128, port 0) may answer ERANGE, as the kernel's range checks do.
 */
TEST_F(dest, invalid)
{
	static const __u8 five[5] = { 10, 0, 0, 0, 0 };
	static const __u8 three[3] = { 10, 0, 0 };
	static const __u8 seventeen[17] = { 0xfd };
	struct dest_spec sp;

	/* Address lengths: 5 passes the policy (4..16) but is neither. */
	sp = dspec(NULL, 8, 5432, 5432);
	sp.alen = 5;
	memcpy(sp.addr, five, sizeof(five));
	dest_rejected(_metadata, &self->sk, self->family, KMTLS_CMD_DEST_ADD,
		      &sp, EINVAL, 0);
	sp.alen = 3;
	memcpy(sp.addr, three, sizeof(three));
	dest_rejected(_metadata, &self->sk, self->family, KMTLS_CMD_DEST_ADD,
		      &sp, EINVAL, ERANGE);
	sp.alen = 17;
	memcpy(sp.addr, seventeen, sizeof(seventeen));
	sp.plen = 64;
	dest_rejected(_metadata, &self->sk, self->family, KMTLS_CMD_DEST_ADD,
		      &sp, EINVAL, ERANGE);

	/* Prefix lengths beyond the address. */
	sp = dspec("10.0.0.0", 33, 5432, 5432);
	dest_rejected(_metadata, &self->sk, self->family, KMTLS_CMD_DEST_ADD,
		      &sp, EINVAL, 0);
	sp = dspec("fd00::", 129, 443, 443);
	dest_rejected(_metadata, &self->sk, self->family, KMTLS_CMD_DEST_ADD,
		      &sp, EINVAL, ERANGE);

	/* Host bits set beyond the prefix. */
	sp = dspec("10.0.0.1", 8, 5432, 5432);
	dest_rejected(_metadata, &self->sk, self->family, KMTLS_CMD_DEST_ADD,
		      &sp, EINVAL, 0);
	sp = dspec("fd00::1", 64, 443, 443);
	dest_rejected(_metadata, &self->sk, self->family, KMTLS_CMD_DEST_ADD,
		      &sp, EINVAL, 0);

	/* Ports. */
	sp = dspec("10.0.0.0", 8, 0, 5432);
	dest_rejected(_metadata, &self->sk, self->family, KMTLS_CMD_DEST_ADD,
		      &sp, EINVAL, ERANGE);
	sp = dspec("10.0.0.0", 8, 0, -1);
	dest_rejected(_metadata, &self->sk, self->family, KMTLS_CMD_DEST_ADD,
		      &sp, EINVAL, ERANGE);
	sp = dspec("10.0.0.0", 8, 80, 0);
	dest_rejected(_metadata, &self->sk, self->family, KMTLS_CMD_DEST_ADD,
		      &sp, EINVAL, ERANGE);
	sp = dspec("10.0.0.0", 8, 90, 80);
	dest_rejected(_metadata, &self->sk, self->family, KMTLS_CMD_DEST_ADD,
		      &sp, EINVAL, 0);

	/* No address at all, for add and del. */
	sp = dspec(NULL, 8, 5432, 5432);
	dest_rejected(_metadata, &self->sk, self->family, KMTLS_CMD_DEST_ADD,
		      &sp, EINVAL, 0);
	dest_rejected(_metadata, &self->sk, self->family, KMTLS_CMD_DEST_DEL,
		      &sp, EINVAL, 0);
	sp = dspec(NULL, -1, -1, -1);
	dest_rejected(_metadata, &self->sk, self->family, KMTLS_CMD_DEST_ADD,
		      &sp, EINVAL, 0);
}

/* dest-del of what was never declared: ENOENT. */
TEST_F(dest, del_unknown)
{
	struct dest_spec sp = D_OTHER;

	dest_rejected(_metadata, &self->sk, self->family, KMTLS_CMD_DEST_DEL,
		      &sp, ENOENT, 0);
	sp = D_V6;
	dest_rejected(_metadata, &self->sk, self->family, KMTLS_CMD_DEST_DEL,
		      &sp, ENOENT, 0);
}

/* In a forked child, as nobody without capabilities: dest-add and dest-del
 * answer EPERM, and the dump works and shows *arg.
 */
static int dest_unpriv_child(__u16 family, const void *arg)
{
	const struct dest *want = arg;
	struct dest_spec sp = D_OTHER;
	struct nl_sock s;
	struct nl_msg m;
	struct snap sn;
	char why[WHYLEN], b[160];
	int ret, kerr = 0;

	if (become_nobody(why, sizeof(why))) {
		fprintf(stderr, "# unprivileged child: %s\n", why);
		return 10;
	}
	ret = nl_open(&s, 2000);
	if (ret) {
		fprintf(stderr, "# unprivileged child: socket: %s\n",
			strerror(-ret));
		return 11;
	}

	build_dest(&s, &m, family, KMTLS_CMD_DEST_ADD, &sp);
	if (send_req(&s, &m, &kerr, why, sizeof(why))) {
		fprintf(stderr, "# unprivileged dest-add: %s\n", why);
		return 12;
	}
	if (kerr != -EPERM) {
		fprintf(stderr, "# unprivileged dest-add: answered %s (extack \"%s\"), expected EPERM\n",
			errno_name(kerr), reply.msg);
		return 13;
	}

	sp = D_V4;
	build_dest(&s, &m, family, KMTLS_CMD_DEST_DEL, &sp);
	if (send_req(&s, &m, &kerr, why, sizeof(why))) {
		fprintf(stderr, "# unprivileged dest-del: %s\n", why);
		return 14;
	}
	if (kerr != -EPERM) {
		fprintf(stderr, "# unprivileged dest-del: answered %s (extack \"%s\"), expected EPERM\n",
			errno_name(kerr), reply.msg);
		return 15;
	}

	memset(&sn, 0, sizeof(sn));
	if (dump_one(&s, family, KMTLS_CMD_DEST_GET, 0, &sn, NULL, why,
		     sizeof(why))) {
		fprintf(stderr, "# unprivileged %s\n", why);
		return 16;
	}
	if (dest_find(&sn, want) < 0) {
		fprintf(stderr, "# unprivileged dest dump: %s is not there (%d entries)\n",
			fmt_dest(want, b, sizeof(b)), sn.n_dests);
		return 17;
	}
	snap_free(&sn);
	nl_close(&s);
	return 0;
}

/* dest-add and -del need CAP_NET_ADMIN; dest-get is open. */
TEST_F(dest, unprivileged)
{
	struct dest_spec sp = D_V4;
	struct dest want = dest_of(&sp);
	struct snap before, got;
	int status;

	if (geteuid() != 0)
		SKIP(return, "needs root to become nobody");
	DEST_OK(KMTLS_CMD_DEST_ADD, &sp);
	SNAP(&before);

	status = run_child(dest_unpriv_child, self->family, &want);
	ASSERT_LE(0, status) TH_LOG("unprivileged child died");
	EXPECT_EQ(0, status) TH_LOG("unprivileged child failed (see above)");

	SNAP(&got);
	EXPECT_SNAP_EQ(&before, &got, "after the unprivileged child");
	snap_free(&got);
	snap_free(&before);
	DEST_OK(KMTLS_CMD_DEST_DEL, &sp);
}

/*
 * 300 destinations: the dump returns every one exactly once, over several
 * datagrams (the dump is resumed).  It is read on a fresh socket with an
 * 8 KiB buffer: the kernel sizes dump datagrams to the largest buffer a
 * socket was read with (about a page before the first read), so no
 * datagram can hold more than 8 KiB of the ~17 KiB the dump takes.
 */
TEST_F(dest, many)
{
	struct snap before, want, got;
	struct nl_sock s2;
	char why[WHYLEN];
	int i, ret, n_dgrams = 0;

	SNAP(&before);
	snap_copy(&want, &before);
	self->bulk = true;
	for (i = 0; i < BULK_N; i++) {
		struct dest_spec sp = bulk_spec(i);
		struct dest d = dest_of(&sp);

		DEST_OK(KMTLS_CMD_DEST_ADD, &sp);
		snap_add_dest(&want, &d);
	}
	snap_sort(&want);

	ret = nl_open(&s2, 2000);
	ASSERT_EQ(0, ret) TH_LOG("socket: %s", strerror(-ret));
	memset(&got, 0, sizeof(got));
	ret = dump_one(&s2, self->family, KMTLS_CMD_DEST_GET, BULK_RCVLEN,
		       &got, &n_dgrams, why, sizeof(why));
	nl_close(&s2);
	ASSERT_EQ(0, ret) TH_LOG("%s", why);
	/* The identities too, to compare whole snapshots. */
	ASSERT_EQ(0, dump_one(&self->sk, self->family, KMTLS_CMD_IDENTITY_GET,
			      0, &got, NULL, why, sizeof(why)))
		TH_LOG("%s", why);
	EXPECT_EQ(before.n_dests + BULK_N, got.n_dests);
	EXPECT_SNAP_EQ(&want, &got, "dump of 300 destinations");
	EXPECT_LE(2, n_dgrams)
		TH_LOG("%d destinations came in %d datagram(s) of at most %d bytes",
		       got.n_dests, n_dgrams, BULK_RCVLEN);
	snap_free(&got);

	/* The same through the test's own socket (large datagrams). */
	SNAP(&got);
	EXPECT_SNAP_EQ(&want, &got, "dump of 300 destinations, 32 KiB buffer");
	snap_free(&got);

	for (i = 0; i < BULK_N; i++) {
		struct dest_spec sp = bulk_spec(i);

		DEST_OK(KMTLS_CMD_DEST_DEL, &sp);
	}
	self->bulk = false;
	SNAP(&got);
	EXPECT_SNAP_EQ(&before, &got, "after deleting the 300");
	snap_free(&got);
	snap_free(&want);
	snap_free(&before);
}

TEST_HARNESS_MAIN
