// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: "identity show" and "dest show" from crafted dump replies.
 * Multipart messages, spread over several receive buffers and ended by
 * NLMSG_DONE, go through the library with the CLI's reply definitions;
 * what they decode to is printed as text, JSON and pretty JSON.  Malformed
 * replies must be refused whole.  Every buffer is handed over in a heap
 * copy of exactly its length, so the sanitizer build catches any read past
 * the end (and, through LeakSanitizer, any list not freed).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/kmtls.h>
#include <sys/socket.h>

#include "kmtls.h"
#include "tap.h"

#define FAMILY	0x1234
#define SEQ	4242
#define PORTID	777

struct msgbuf {
	uint8_t b[8192] __attribute__((aligned(8)));
	size_t len;
};

static struct nlmsghdr *msg_begin(struct msgbuf *m, uint16_t type,
				  uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(m->b + m->len);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = SEQ;
	nlh->nlmsg_pid = PORTID;
	return nlh;
}

static void msg_end(struct msgbuf *m, struct nlmsghdr *nlh)
{
	m->len += NLMSG_ALIGN(nlh->nlmsg_len);
}

/* A dump reply message of command cmd, attributes to follow. */
static struct nlmsghdr *reply_begin(struct msgbuf *m, uint8_t cmd)
{
	struct nlmsghdr *nlh = msg_begin(m, FAMILY, NLM_F_MULTI);
	struct genlmsghdr *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));

	g->cmd = cmd;
	g->version = KMTLS_FAMILY_VERSION;
	return nlh;
}

static void put_done(struct msgbuf *m, int error, const char *extack)
{
	struct nlmsghdr *nlh;

	nlh = msg_begin(m, NLMSG_DONE,
			NLM_F_MULTI | (extack ? NLM_F_ACK_TLVS : 0));
	*(int *)mnl_nlmsg_put_extra_header(nlh, sizeof(int)) = error;
	if (extack)
		mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, extack);
	msg_end(m, nlh);
}

/* The dump request, as the CLI sends it. */
static struct msgbuf req_buf;

static const struct nlmsghdr *request(uint8_t cmd)
{
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;

	memset(&req_buf, 0, sizeof(req_buf));
	nlh = msg_begin(&req_buf, FAMILY,
			NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP);
	nlh->nlmsg_pid = 0;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = KMTLS_FAMILY_VERSION;
	msg_end(&req_buf, nlh);
	return nlh;
}

/* Process m->b[from..to) from an exact-size heap copy. */
static int process(const struct msgbuf *m, size_t from, size_t to,
		   const struct nlmsghdr *req,
		   const struct kmtls_nl_reply *reply,
		   struct kmtls_nl_err *err)
{
	size_t len = to - from;
	void *copy = malloc(len ? len : 1);
	int ret;

	memcpy(copy, m->b + from, len);
	ret = kmtls_nl_process(copy, len, req, PORTID, reply, err);
	free(copy);
	return ret;
}

static char *print_ids(const struct kmtls_identity_list *l,
		       struct kmtls_opts opts, int *ret)
{
	struct capture c;

	*ret = identity_print(capture_start(&c), &opts, l);
	capture_end(&c);
	return c.buf;
}

static char *print_dests(const struct kmtls_dest_list *l,
			 struct kmtls_opts opts, int *ret)
{
	struct capture c;

	*ret = dest_print(capture_start(&c), &opts, l);
	capture_end(&c);
	return c.buf;
}

static const struct kmtls_opts text = { 0 };
static const struct kmtls_opts json = { .json = true };
static const struct kmtls_opts pretty = { .pretty = true };

/* ---- identities --------------------------------------------------------- */

/*
 * An identity message as the kernel builds it: the u64 with a pad
 * attribute in front (nla_put_u64_64bit); attribute "skip" left out.
 */
static void put_identity(struct msgbuf *m, const char *cgroup,
			 const char *id, uint64_t cgid, uint16_t skip)
{
	struct nlmsghdr *nlh = reply_begin(m, KMTLS_CMD_IDENTITY_GET);

	if (skip != KMTLS_A_IDENTITY_CGROUP)
		mnl_attr_put_strz(nlh, KMTLS_A_IDENTITY_CGROUP, cgroup);
	if (skip != KMTLS_A_IDENTITY_SPIFFE_ID)
		mnl_attr_put_strz(nlh, KMTLS_A_IDENTITY_SPIFFE_ID, id);
	mnl_attr_put(nlh, KMTLS_A_IDENTITY_PAD, 0, NULL);
	if (skip != KMTLS_A_IDENTITY_CGROUP_ID)
		mnl_attr_put_u64(nlh, KMTLS_A_IDENTITY_CGROUP_ID, cgid);
	msg_end(m, nlh);
}

static int process_ids(const struct msgbuf *m, size_t from, size_t to,
		       struct kmtls_identity_list *l, struct kmtls_nl_err *err)
{
	const struct nlattr *tb[KMTLS_A_IDENTITY_MAX + 1];
	struct kmtls_nl_reply reply;

	identity_reply_init(&reply, tb, l);
	return process(m, from, to, request(KMTLS_CMD_IDENTITY_GET), &reply,
		       err);
}

static void test_identities(void)
{
	struct kmtls_identity_list l = { 0 };
	struct kmtls_nl_err err;
	struct msgbuf m = { 0 };
	size_t cut;
	char *s;
	int ret, pret;

	put_identity(&m, "/workloads/web", "spiffe://prod.example/ns/web",
		     1234, 0);
	put_identity(&m, "/", "spiffe://prod.example/node", 1, 0);
	cut = m.len;
	put_identity(&m, "/odd name/new\nline", "spiffe://x/y",
		     UINT64_MAX, 0);
	/* A newer kernel's attribute: ignored. */
	{
		struct nlmsghdr *nlh = (void *)(m.b + cut);

		m.len = cut;
		mnl_attr_put_u32(nlh, 99, 7);
		msg_end(&m, nlh);
	}
	put_done(&m, 0, NULL);

	ret = process_ids(&m, 0, cut, &l, &err);
	ok(ret == 1 && l.n == 2, "first buffer of the dump: 2 identities, more to come");
	ret = process_ids(&m, cut, m.len, &l, &err);
	ok(ret == 0 && l.n == 3, "second buffer: one more, then DONE");
	ok(l.n == 3 && strcmp(l.v[0].cgroup, "/workloads/web") == 0 &&
	   strcmp(l.v[0].spiffe_id, "spiffe://prod.example/ns/web") == 0 &&
	   l.v[0].cgroup_id == 1234 && l.v[2].cgroup_id == UINT64_MAX,
	   "identities decoded");

	s = print_ids(&l, text, &pret);
	is_str(s,
	       "cgroup /workloads/web spiffe://prod.example/ns/web\n"
	       "cgroup / spiffe://prod.example/node\n"
	       "cgroup /odd name/new\\012line spiffe://x/y\n",
	       "identities as text, control characters escaped");
	is_int(pret, 0, "  ... and reports success");
	free(s);

	s = print_ids(&l, json, &pret);
	is_str(s,
	       "[{\"cgroup\":\"/workloads/web\","
	       "\"spiffe-id\":\"spiffe://prod.example/ns/web\",\"cgroup-id\":1234},"
	       "{\"cgroup\":\"/\",\"spiffe-id\":\"spiffe://prod.example/node\","
	       "\"cgroup-id\":1},"
	       "{\"cgroup\":\"/odd name/new\\nline\",\"spiffe-id\":\"spiffe://x/y\","
	       "\"cgroup-id\":18446744073709551615}]\n",
	       "identities as JSON");
	is_int(pret, 0, "  ... and reports success");
	free(s);

	s = print_ids(&(struct kmtls_identity_list){ .v = l.v, .n = 1 },
		      pretty, &pret);
	is_str(s,
	       "[\n"
	       "  {\n"
	       "    \"cgroup\": \"/workloads/web\",\n"
	       "    \"spiffe-id\": \"spiffe://prod.example/ns/web\",\n"
	       "    \"cgroup-id\": 1234\n"
	       "  }\n"
	       "]\n",
	       "an identity as pretty JSON");
	free(s);
	identity_list_free(&l);
	ok(l.n == 0 && l.v == NULL, "list freed and reset");

	/* Text round trip: each line is what "identity add" takes. */
	memset(&m, 0, sizeof(m));
	put_identity(&m, "/a/b", "spiffe://td/ns/x", 5, 0);
	put_done(&m, 0, NULL);
	ret = process_ids(&m, 0, m.len, &l, &err);
	s = print_ids(&l, text, &pret);
	{
		char *argv[8], *tok, *save;
		char path[KMTLS_CGROUP_PATH_MAX_LEN + 1], why[256];
		const char *w;
		int argc = 0;

		for (tok = strtok_r(s, " \n", &save); tok && argc < 8;
		     tok = strtok_r(NULL, " \n", &save))
			argv[argc++] = tok;
		ok(ret == 0 && argc == 3 && strcmp(argv[0], "cgroup") == 0 &&
		   cgroup_path_resolve(argv[1], NULL, path, sizeof(path), why,
				       sizeof(why)) == 0 &&
		   strcmp(path, "/a/b") == 0 &&
		   spiffe_id_check(argv[2], &w) == 0 &&
		   strcmp(argv[2], "spiffe://td/ns/x") == 0,
		   "a text line is \"cgroup PATH SPIFFE-ID\" and parses back");
	}
	free(s);
	identity_list_free(&l);

	/* No identities. */
	memset(&m, 0, sizeof(m));
	put_done(&m, 0, NULL);
	ret = process_ids(&m, 0, m.len, &l, &err);
	is_int(ret, 0, "empty dump: DONE alone");
	s = print_ids(&l, text, &pret);
	is_str(s, "", "no identities: no text");
	free(s);
	s = print_ids(&l, json, &pret);
	is_str(s, "[]\n", "no identities: JSON []");
	free(s);
	s = print_ids(&l, pretty, &pret);
	is_str(s, "[]\n", "no identities: pretty JSON []");
	free(s);
}

static void test_identities_bad(void)
{
	static const uint16_t required[] = {
		KMTLS_A_IDENTITY_CGROUP, KMTLS_A_IDENTITY_SPIFFE_ID,
		KMTLS_A_IDENTITY_CGROUP_ID,
	};
	struct kmtls_identity_list l = { 0 };
	struct kmtls_nl_err err;
	struct nlmsghdr *nlh;
	struct msgbuf m;
	size_t i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(required); i++) {
		memset(&m, 0, sizeof(m));
		put_identity(&m, "/a", "spiffe://a/b", 1, 0);
		put_identity(&m, "/b", "spiffe://a/c", 2, required[i]);
		put_done(&m, 0, NULL);
		ret = process_ids(&m, 0, m.len, &l, &err);
		ok(ret == -EBADMSG && strstr(err.msg, "missing"),
		   "identity without attribute %u refused", required[i]);
		identity_list_free(&l);
	}

	memset(&m, 0, sizeof(m));
	nlh = reply_begin(&m, KMTLS_CMD_IDENTITY_GET);
	mnl_attr_put_strz(nlh, KMTLS_A_IDENTITY_CGROUP, "/a");
	mnl_attr_put_strz(nlh, KMTLS_A_IDENTITY_SPIFFE_ID, "spiffe://a/b");
	mnl_attr_put_u32(nlh, KMTLS_A_IDENTITY_CGROUP_ID, 1);
	msg_end(&m, nlh);
	ret = process_ids(&m, 0, m.len, &l, &err);
	ok(ret == -EBADMSG && strstr(err.msg, "cgroup-id has a bad size"),
	   "cgroup-id of 4 bytes refused");
	identity_list_free(&l);

	memset(&m, 0, sizeof(m));
	nlh = reply_begin(&m, KMTLS_CMD_IDENTITY_GET);
	mnl_attr_put(nlh, KMTLS_A_IDENTITY_CGROUP, 2, "/a");
	mnl_attr_put_strz(nlh, KMTLS_A_IDENTITY_SPIFFE_ID, "spiffe://a/b");
	mnl_attr_put_u64(nlh, KMTLS_A_IDENTITY_CGROUP_ID, 1);
	msg_end(&m, nlh);
	ret = process_ids(&m, 0, m.len, &l, &err);
	ok(ret == -EBADMSG && strstr(err.msg, "cgroup has a bad size"),
	   "cgroup without its NUL refused");
	identity_list_free(&l);

	memset(&m, 0, sizeof(m));
	put_identity(&m, "/a", "spiffe://a/b", 1, 0);
	put_done(&m, -EPERM, "not allowed here");
	ret = process_ids(&m, 0, m.len, &l, &err);
	ok(ret == -EPERM && strcmp(err.msg, "not allowed here") == 0 &&
	   err.kernel_msg, "DONE with an error and extack ends the dump");
	identity_list_free(&l);

	/* The kernel refuses the dump before it starts. */
	memset(&m, 0, sizeof(m));
	{
		struct nlmsgerr *e;

		nlh = msg_begin(&m, NLMSG_ERROR, NLM_F_CAPPED);
		e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
		e->error = -EOPNOTSUPP;
		memcpy(&e->msg, request(KMTLS_CMD_IDENTITY_GET),
		       sizeof(e->msg));
		msg_end(&m, nlh);
	}
	ret = process_ids(&m, 0, m.len, &l, &err);
	ok(ret == -EOPNOTSUPP && l.n == 0, "error instead of a dump");
	identity_list_free(&l);

	memset(&m, 0, sizeof(m));
	put_identity(&m, "/a", "spiffe://a/b", 1, 0);
	put_identity(&m, "/b", "spiffe://a/c", 2, 0);
	((struct nlmsghdr *)m.b)->nlmsg_flags |= NLM_F_DUMP_INTR;
	put_done(&m, 0, NULL);
	ret = process_ids(&m, 0, m.len, &l, &err);
	ok(ret == -EINTR && strstr(err.msg, "try again"),
	   "interrupted dump reported");
	identity_list_free(&l);
}

/* ---- destinations ------------------------------------------------------- */

struct raw_dest {
	const char *addr;	/* text; family from its form */
	int addrlen;		/* bytes to send; 0: the family's */
	unsigned int len, pmin, pmax;
	uint16_t skip;
	int mode;		/* 0: no attribute; -1: one of value 0;
				 * else its u8 value */
	const char *identity;	/* NULL: no attribute */
};

static void put_dest(struct msgbuf *m, const struct raw_dest *r)
{
	struct nlmsghdr *nlh = reply_begin(m, KMTLS_CMD_DEST_GET);
	bool v6 = strchr(r->addr, ':') != NULL;
	uint8_t a[17] = { 0 };

	inet_pton(v6 ? AF_INET6 : AF_INET, r->addr, a);
	if (r->skip != KMTLS_A_DEST_ADDR)
		mnl_attr_put(nlh, KMTLS_A_DEST_ADDR,
			     r->addrlen ? r->addrlen : v6 ? 16 : 4, a);
	if (r->skip != KMTLS_A_DEST_PREFIX_LEN)
		mnl_attr_put_u8(nlh, KMTLS_A_DEST_PREFIX_LEN, r->len);
	if (r->skip != KMTLS_A_DEST_PORT_MIN)
		mnl_attr_put_u16(nlh, KMTLS_A_DEST_PORT_MIN, r->pmin);
	if (r->skip != KMTLS_A_DEST_PORT_MAX)
		mnl_attr_put_u16(nlh, KMTLS_A_DEST_PORT_MAX, r->pmax);
	if (r->mode)
		mnl_attr_put_u8(nlh, KMTLS_A_DEST_MODE,
				(uint8_t)(r->mode < 0 ? 0 : r->mode));
	if (r->identity)
		mnl_attr_put_strz(nlh, KMTLS_A_DEST_IDENTITY, r->identity);
	msg_end(m, nlh);
}

static int process_dests(const struct msgbuf *m, size_t from, size_t to,
			 struct kmtls_dest_list *l, struct kmtls_nl_err *err)
{
	const struct nlattr *tb[KMTLS_A_DEST_MAX + 1];
	struct kmtls_nl_reply reply;

	dest_reply_init(&reply, tb, l);
	return process(m, from, to, request(KMTLS_CMD_DEST_GET), &reply, err);
}

static const struct raw_dest dests[] = {
	{ "10.0.0.5", 0, 32, 1, 65535, 0, 0, NULL },
	{ "10.0.0.0", 0, 8, 5432, 5432, 0, 0, NULL },
	{ "10.1.2.3", 0, 32, 8000, 8100, 0, 0, NULL },
	{ "0.0.0.0", 0, 0, 1, 65535, 0, 0, NULL },
	{ "fd00::1", 0, 128, 1, 65535, 0, 0, NULL },
	{ "fd00::", 0, 64, 443, 443, 0, 0, NULL },
	{ "::1", 0, 128, 80, 90, 0, 0, NULL },
	{ "2001:db8::", 0, 32, 1, 1024, 0, 0, NULL },
};

static void test_dests(void)
{
	struct kmtls_dest_list l = { 0 };
	struct kmtls_nl_err err;
	struct msgbuf m = { 0 };
	size_t i, cut = 0;
	char *s, *line, *save;
	int ret, pret;
	bool all = true;

	for (i = 0; i < ARRAY_SIZE(dests); i++) {
		put_dest(&m, &dests[i]);
		if (i == 2)
			cut = m.len;
	}
	put_done(&m, 0, NULL);

	ret = process_dests(&m, 0, cut, &l, &err);
	ok(ret == 1 && l.n == 3, "first buffer of the dump: 3 destinations");
	ret = process_dests(&m, cut, m.len, &l, &err);
	ok(ret == 0 && l.n == ARRAY_SIZE(dests), "second buffer: the rest, DONE");

	s = print_dests(&l, text, &pret);
	is_str(s,
	       "10.0.0.5\n"
	       "10.0.0.0/8:5432\n"
	       "10.1.2.3:8000-8100\n"
	       "0.0.0.0/0\n"
	       "fd00::1\n"
	       "[fd00::/64]:443\n"
	       "[::1]:80-90\n"
	       "[2001:db8::/32]:1-1024\n",
	       "destinations as text, in the form dest add takes");
	is_int(pret, 0, "  ... and reports success");

	/* Every line parses back to the destination it came from. */
	for (i = 0, line = strtok_r(s, "\n", &save); line && i < l.n;
	     i++, line = strtok_r(NULL, "\n", &save)) {
		struct kmtls_dest d;
		char why[128];

		if (dest_parse(line, &d, why, sizeof(why)) ||
		    memcmp(&d, &l.v[i], sizeof(d)) != 0) {
			printf("#   line %zu \"%s\" does not parse back\n", i,
			       line);
			all = false;
		}
	}
	ok(all && i == l.n, "every line parses back to its destination");
	free(s);

	s = print_dests(&l, json, &pret);
	is_str(s,
	       "[{\"addr\":\"10.0.0.5\",\"prefix-len\":32,\"port-min\":1,\"port-max\":65535},"
	       "{\"addr\":\"10.0.0.0\",\"prefix-len\":8,\"port-min\":5432,\"port-max\":5432},"
	       "{\"addr\":\"10.1.2.3\",\"prefix-len\":32,\"port-min\":8000,\"port-max\":8100},"
	       "{\"addr\":\"0.0.0.0\",\"prefix-len\":0,\"port-min\":1,\"port-max\":65535},"
	       "{\"addr\":\"fd00::1\",\"prefix-len\":128,\"port-min\":1,\"port-max\":65535},"
	       "{\"addr\":\"fd00::\",\"prefix-len\":64,\"port-min\":443,\"port-max\":443},"
	       "{\"addr\":\"::1\",\"prefix-len\":128,\"port-min\":80,\"port-max\":90},"
	       "{\"addr\":\"2001:db8::\",\"prefix-len\":32,\"port-min\":1,\"port-max\":1024}]\n",
	       "destinations as JSON");
	is_int(pret, 0, "  ... and reports success");
	free(s);

	s = print_dests(&(struct kmtls_dest_list){ .v = l.v + 5, .n = 1 },
			pretty, &pret);
	is_str(s,
	       "[\n"
	       "  {\n"
	       "    \"addr\": \"fd00::\",\n"
	       "    \"prefix-len\": 64,\n"
	       "    \"port-min\": 443,\n"
	       "    \"port-max\": 443\n"
	       "  }\n"
	       "]\n",
	       "a destination as pretty JSON");
	free(s);
	dest_list_free(&l);

	memset(&m, 0, sizeof(m));
	put_done(&m, 0, NULL);
	ret = process_dests(&m, 0, m.len, &l, &err);
	s = print_dests(&l, text, &pret);
	ok(ret == 0 && s[0] == '\0', "no destinations: no text");
	free(s);
	s = print_dests(&l, json, &pret);
	is_str(s, "[]\n", "no destinations: JSON []");
	free(s);
}

/* Modes and identities: printed after DEST, as "dest add" takes them. */
static void test_dest_modes(void)
{
	static const struct raw_dest md[] = {
		{ "10.0.0.0", 0, 8, 5432, 5432, 0, KMTLS_DEST_MODE_STRICT, NULL },
		{ "fd00::", 0, 64, 1, 65535, 0, KMTLS_DEST_MODE_PERMISSIVE,
		  "spiffe://prod.example/db" },
		{ "10.1.0.0", 0, 16, 80, 90, 0, KMTLS_DEST_MODE_DISABLED, NULL },
		{ "10.0.0.5", 0, 32, 1, 65535, 0, 9, NULL },
		{ "10.0.0.6", 0, 32, 1, 65535, 0, 0, "spiffe://a/b" },
	};
	struct kmtls_dest_list l = { 0 };
	struct kmtls_nl_err err;
	struct msgbuf m = { 0 };
	char *s, *line, *save, *argv[8], why[256];
	size_t i;
	int ret, pret, argc;
	bool all = true;

	for (i = 0; i < ARRAY_SIZE(md); i++)
		put_dest(&m, &md[i]);
	put_done(&m, 0, NULL);
	ret = process_dests(&m, 0, m.len, &l, &err);
	ok(ret == 0 && l.n == ARRAY_SIZE(md) && l.v[0].mode == 1 &&
	   l.v[1].mode == 2 && strcmp(l.v[1].identity, md[1].identity) == 0 &&
	   l.v[2].mode == 3 && l.v[3].mode == 9 && l.v[4].mode == 0 &&
	   !l.v[0].identity && strcmp(l.v[4].identity, "spiffe://a/b") == 0,
	   "modes and identities decoded");

	s = print_dests(&l, text, &pret);
	is_str(s,
	       "10.0.0.0/8:5432 mode strict\n"
	       "fd00::/64 mode permissive identity spiffe://prod.example/db\n"
	       "10.1.0.0/16:80-90 mode disabled\n"
	       "10.0.0.5 mode 9\n"
	       "10.0.0.6 identity spiffe://a/b\n",
	       "text: mode always (when sent), identity when there is one");
	is_int(pret, 0, "  ... and reports success");

	/* The known ones are "dest add" input, back to the same. */
	for (i = 0, line = strtok_r(s, "\n", &save); line && i < 3;
	     i++, line = strtok_r(NULL, "\n", &save)) {
		struct kmtls_dest d;
		char *tok, *save2;

		argc = 0;
		for (tok = strtok_r(line, " ", &save2); tok && argc < 7;
		     tok = strtok_r(NULL, " ", &save2))
			argv[argc++] = tok;
		if (dest_parse_args(argc, argv, &d, why, sizeof(why)) ||
		    d.mode != l.v[i].mode || d.prefix_len != l.v[i].prefix_len ||
		    d.port_min != l.v[i].port_min ||
		    d.port_max != l.v[i].port_max ||
		    !d.identity != !l.v[i].identity ||
		    (d.identity && strcmp(d.identity, l.v[i].identity))) {
			printf("#   line %zu does not parse back: %s\n", i, why);
			all = false;
		}
	}
	ok(all && i == 3, "each line parses back with dest add's parser");
	free(s);

	s = print_dests(&l, json, &pret);
	is_str(s,
	       "[{\"addr\":\"10.0.0.0\",\"prefix-len\":8,\"port-min\":5432,\"port-max\":5432,\"mode\":\"strict\"},"
	       "{\"addr\":\"fd00::\",\"prefix-len\":64,\"port-min\":1,\"port-max\":65535,\"mode\":\"permissive\",\"identity\":\"spiffe://prod.example/db\"},"
	       "{\"addr\":\"10.1.0.0\",\"prefix-len\":16,\"port-min\":80,\"port-max\":90,\"mode\":\"disabled\"},"
	       "{\"addr\":\"10.0.0.5\",\"prefix-len\":32,\"port-min\":1,\"port-max\":65535,\"mode\":9},"
	       "{\"addr\":\"10.0.0.6\",\"prefix-len\":32,\"port-min\":1,\"port-max\":65535,\"identity\":\"spiffe://a/b\"}]\n",
	       "JSON: mode a string (a number when unknown), identity when present");
	free(s);
	dest_list_free(&l);

	/* Malformed: mode 0, a mode of two bytes, an identity without NUL. */
	memset(&m, 0, sizeof(m));
	{
		struct raw_dest r = md[0];

		r.mode = -1;	/* a mode attribute of 0 */
		put_dest(&m, &r);
	}
	put_done(&m, 0, NULL);
	ret = process_dests(&m, 0, m.len, &l, &err);
	ok(ret == -EBADMSG && strstr(err.msg, "destination mode 0"),
	   "mode 0 refused");
	dest_list_free(&l);
	{
		struct nlmsghdr *nlh;

		memset(&m, 0, sizeof(m));
		nlh = reply_begin(&m, KMTLS_CMD_DEST_GET);
		mnl_attr_put(nlh, KMTLS_A_DEST_ADDR, 4, "\x0a\0\0\x01");
		mnl_attr_put_u8(nlh, KMTLS_A_DEST_PREFIX_LEN, 32);
		mnl_attr_put_u16(nlh, KMTLS_A_DEST_PORT_MIN, 1);
		mnl_attr_put_u16(nlh, KMTLS_A_DEST_PORT_MAX, 2);
		mnl_attr_put_u16(nlh, KMTLS_A_DEST_MODE, 1);
		msg_end(&m, nlh);
		ret = process_dests(&m, 0, m.len, &l, &err);
		ok(ret == -EBADMSG && strstr(err.msg, "mode has a bad size"),
		   "a two-byte mode refused");
		dest_list_free(&l);

		memset(&m, 0, sizeof(m));
		nlh = reply_begin(&m, KMTLS_CMD_DEST_GET);
		mnl_attr_put(nlh, KMTLS_A_DEST_ADDR, 4, "\x0a\0\0\x01");
		mnl_attr_put_u8(nlh, KMTLS_A_DEST_PREFIX_LEN, 32);
		mnl_attr_put_u16(nlh, KMTLS_A_DEST_PORT_MIN, 1);
		mnl_attr_put_u16(nlh, KMTLS_A_DEST_PORT_MAX, 2);
		mnl_attr_put(nlh, KMTLS_A_DEST_IDENTITY, 3, "abc");
		msg_end(&m, nlh);
		ret = process_dests(&m, 0, m.len, &l, &err);
		ok(ret == -EBADMSG && strstr(err.msg, "identity has a bad size"),
		   "an identity without its NUL refused");
		dest_list_free(&l);
	}
}

static void dest_bad(const struct raw_dest *r, const char *text,
		     const char *name)
{
	struct kmtls_dest_list l = { 0 };
	struct kmtls_nl_err err;
	struct msgbuf m = { 0 };
	int ret;

	put_dest(&m, &dests[0]);
	put_dest(&m, r);
	put_done(&m, 0, NULL);
	ret = process_dests(&m, 0, m.len, &l, &err);
	if (!ok(ret == -EBADMSG && strstr(err.msg, text), "%s", name)) {
		printf("#   ret %d\n", ret);
		diag_str("msg ", err.msg);
		diag_str("want", text);
	}
	dest_list_free(&l);
}

static void test_dests_bad(void)
{
	struct raw_dest r;

	r = (struct raw_dest){ "10.0.0.1", 5, 32, 1, 65535, 0, 0, NULL };
	dest_bad(&r, "addr has 5 bytes", "addr of 5 bytes refused");
	r = (struct raw_dest){ "10.0.0.0", 3, 32, 1, 65535, 0, 0, NULL };
	dest_bad(&r, "addr has 3 bytes", "addr of 3 bytes refused");
	r = (struct raw_dest){ "10.0.0.0", 0, 33, 1, 65535, 0, 0, NULL };
	dest_bad(&r, "malformed reply: destination: prefix length 33 out of range 0..32",
		 "IPv4 /33 refused");
	r = (struct raw_dest){ "fd00::", 0, 129, 1, 65535, 0, 0, NULL };
	dest_bad(&r, "prefix length 129 out of range 0..128",
		 "IPv6 /129 refused");
	r = (struct raw_dest){ "10.0.0.1", 0, 8, 1, 65535, 0, 0, NULL };
	dest_bad(&r, "host bits set", "host bits set refused");
	r = (struct raw_dest){ "10.0.0.1", 0, 32, 0, 80, 0, 0, NULL };
	dest_bad(&r, "port 0", "port-min 0 refused");
	r = (struct raw_dest){ "10.0.0.1", 0, 32, 90, 80, 0, 0, NULL };
	dest_bad(&r, "port range 90-80 is inverted", "inverted range refused");
	r = (struct raw_dest){ "10.0.0.1", 0, 32, 1, 65535, KMTLS_A_DEST_ADDR, 0, NULL };
	dest_bad(&r, "addr missing", "missing addr refused");
	r.skip = KMTLS_A_DEST_PREFIX_LEN;
	dest_bad(&r, "prefix-len missing", "missing prefix-len refused");
	r.skip = KMTLS_A_DEST_PORT_MIN;
	dest_bad(&r, "port-min missing", "missing port-min refused");
	r.skip = KMTLS_A_DEST_PORT_MAX;
	dest_bad(&r, "port-max missing", "missing port-max refused");

	{
		struct kmtls_dest_list l = { 0 };
		struct kmtls_nl_err err;
		struct msgbuf m = { 0 };
		struct nlmsghdr *nlh = reply_begin(&m, KMTLS_CMD_DEST_GET);
		int ret;

		mnl_attr_put(nlh, KMTLS_A_DEST_ADDR, 4, "\x0a\0\0\x01");
		mnl_attr_put_u16(nlh, KMTLS_A_DEST_PREFIX_LEN, 32);
		mnl_attr_put_u16(nlh, KMTLS_A_DEST_PORT_MIN, 1);
		mnl_attr_put_u16(nlh, KMTLS_A_DEST_PORT_MAX, 2);
		msg_end(&m, nlh);
		ret = process_dests(&m, 0, m.len, &l, &err);
		ok(ret == -EBADMSG && strstr(err.msg, "prefix-len has a bad size"),
		   "prefix-len of 2 bytes refused");
		dest_list_free(&l);
	}
}

/* Random damage to a dump must never crash or read out of bounds. */
static void test_fuzz(void)
{
	struct kmtls_dest_list dl = { 0 };
	struct kmtls_identity_list il = { 0 };
	struct kmtls_nl_err err;
	struct msgbuf good = { 0 }, goodi = { 0 }, m;
	unsigned int seed = 7, i, j;
	int ret, outcomes[3] = { 0 }, roundtrip_failed = 0;

	for (i = 0; i < ARRAY_SIZE(dests); i++)
		put_dest(&good, &dests[i]);
	put_done(&good, 0, NULL);
	put_identity(&goodi, "/workloads/web", "spiffe://a/b", 9, 0);
	put_identity(&goodi, "/x", "spiffe://a/c", 10, 0);
	put_done(&goodi, 0, NULL);

	for (i = 0; i < 20000; i++) {
		const struct msgbuf *g = i % 2 ? &goodi : &good;

		memcpy(m.b, g->b, g->len);
		m.len = g->len;
		for (j = 0; j < 1 + i % 4; j++) {
			seed = seed * 1103515245 + 12345;
			m.b[(seed >> 8) % g->len] = (uint8_t)(seed >> 20);
		}
		if (i % 2)
			ret = process_ids(&m, 0, m.len, &il, &err);
		else
			ret = process_dests(&m, 0, m.len, &dl, &err);
		outcomes[ret < 0 ? 0 : ret == 0 ? 1 : 2]++;
		/* Whatever was accepted prints and parses back. */
		for (j = 0; ret == 0 && j < dl.n; j++) {
			struct kmtls_dest d;
			char buf[DEST_STRLEN], why[128];

			dest_format(&dl.v[j], buf, sizeof(buf));
			if (dest_parse(buf, &d, why, sizeof(why)) ||
			    memcmp(&d, &dl.v[j], sizeof(d)) != 0) {
				printf("#   \"%s\" does not parse back\n", buf);
				roundtrip_failed++;
			}
		}
		dest_list_free(&dl);
		identity_list_free(&il);
	}
	ok(outcomes[0] > 0 && outcomes[1] > 0,
	   "20000 damaged dumps handled (%d errors, %d done, %d more)",
	   outcomes[0], outcomes[1], outcomes[2]);
	is_int(roundtrip_failed, 0,
	       "every destination a damaged dump yields round-trips");
}

static void test_write_error(void)
{
	struct kmtls_dest d;
	struct kmtls_dest_list dl = { .v = &d, .n = 1 };
	struct kmtls_identity id = {
		.cgroup = "/a", .spiffe_id = "spiffe://a/b", .cgroup_id = 1,
	};
	struct kmtls_identity_list il = { .v = &id, .n = 1 };
	char why[64];
	FILE *full;

	dest_parse("10.0.0.0/8", &d, why, sizeof(why));
	full = fopen("/dev/full", "w");
	if (!full) {
		ok(true, "write error reported # SKIP no /dev/full");
		return;
	}
	ok(dest_print(full, &text, &dl) != 0 &&
	   dest_print(full, &json, &dl) != 0 &&
	   identity_print(full, &text, &il) != 0 &&
	   identity_print(full, &json, &il) != 0,
	   "write errors reported (lists, text and JSON)");
	fclose(full);
}

int main(void)
{
	test_identities();
	test_identities_bad();
	test_dests();
	test_dest_modes();
	test_dests_bad();
	test_fuzz();
	test_write_error();
	return tap_done();
}
