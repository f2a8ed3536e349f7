// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: "flows show" from crafted dump replies.  The messages go
 * through the library with the CLI's reply definition, spread over receive
 * buffers and ended by NLMSG_DONE, as in test_dump.c; what they decode to
 * is printed as text, JSON and pretty JSON.  Flows in their handshake
 * (no peer ID, no cipher), values this program does not know, and
 * malformed messages (refused whole, -EBADMSG).  Every buffer is handed
 * over in a heap copy of exactly its length, so the sanitizer build
 * catches any read past the end and any list not freed.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/kmtls.h>
#include <linux/tls.h>
#include <sys/socket.h>

#include "kmtls.h"
#include "tap.h"

#define FAMILY	0x1234
#define SEQ	4242
#define PORTID	777

struct msgbuf {
	uint8_t b[16384] __attribute__((aligned(8)));
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

static void put_done(struct msgbuf *m, int error)
{
	struct nlmsghdr *nlh = msg_begin(m, NLMSG_DONE, NLM_F_MULTI);

	*(int *)mnl_nlmsg_put_extra_header(nlh, sizeof(int)) = error;
	msg_end(m, nlh);
}

static struct msgbuf req_buf;

/* The dump request, as the CLI sends it. */
static const struct nlmsghdr *request(void)
{
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;

	memset(&req_buf, 0, sizeof(req_buf));
	nlh = msg_begin(&req_buf, FAMILY,
			NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP);
	nlh->nlmsg_pid = 0;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = KMTLS_CMD_FLOW_GET;
	g->version = KMTLS_FAMILY_VERSION;
	msg_end(&req_buf, nlh);
	return nlh;
}

/* A flow as the test describes it; NULL/0 fields are left out. */
struct raw_flow {
	uint64_t id;
	uint8_t role;
	uint8_t family;		/* 0: from the address's form */
	const char *local, *peer;	/* addresses, text */
	uint16_t lport, pport;
	const char *local_id, *peer_id;
	uint8_t state;
	uint16_t cipher;	/* 0: no cipher attribute */
	uint64_t age_ms;
	uint32_t netns;
	uint16_t skip;		/* an attribute to leave out */
	int addrlen;		/* bytes of address to send; 0: the family's */
	int would_deny;		/* -1: no attribute; else its u8 value */
	bool has_plaintext;	/* send plaintext, with this value: */
	uint8_t plaintext;
};

static void put_addr(struct nlmsghdr *nlh, uint16_t type, const char *s,
		     int addrlen)
{
	uint8_t a[20] = { 0 };
	bool v6 = strchr(s, ':') != NULL;

	inet_pton(v6 ? AF_INET6 : AF_INET, s, a);
	mnl_attr_put(nlh, type, addrlen ? addrlen : v6 ? 16 : 4, a);
}

/* The attributes in the kernel's order, u64s after a pad attribute. */
static void put_flow(struct msgbuf *m, const struct raw_flow *r)
{
	struct nlmsghdr *nlh = msg_begin(m, FAMILY, NLM_F_MULTI);
	struct genlmsghdr *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	uint8_t family = r->family ? r->family :
			 strchr(r->local, ':') ? AF_INET6 : AF_INET;

	g->cmd = KMTLS_CMD_FLOW_GET;
	g->version = KMTLS_FAMILY_VERSION;
	mnl_attr_put(nlh, KMTLS_A_FLOW_PAD, 0, NULL);
	if (r->skip != KMTLS_A_FLOW_ID)
		mnl_attr_put_u64(nlh, KMTLS_A_FLOW_ID, r->id);
	if (r->skip != KMTLS_A_FLOW_ROLE)
		mnl_attr_put_u8(nlh, KMTLS_A_FLOW_ROLE, r->role);
	if (r->skip != KMTLS_A_FLOW_FAMILY)
		mnl_attr_put_u8(nlh, KMTLS_A_FLOW_FAMILY, family);
	if (r->skip != KMTLS_A_FLOW_LOCAL_ADDR)
		put_addr(nlh, KMTLS_A_FLOW_LOCAL_ADDR, r->local, r->addrlen);
	if (r->skip != KMTLS_A_FLOW_LOCAL_PORT)
		mnl_attr_put_u16(nlh, KMTLS_A_FLOW_LOCAL_PORT, r->lport);
	if (r->skip != KMTLS_A_FLOW_PEER_ADDR)
		put_addr(nlh, KMTLS_A_FLOW_PEER_ADDR, r->peer, 0);
	if (r->skip != KMTLS_A_FLOW_PEER_PORT)
		mnl_attr_put_u16(nlh, KMTLS_A_FLOW_PEER_PORT, r->pport);
	if (r->local_id && r->skip != KMTLS_A_FLOW_LOCAL_ID)
		mnl_attr_put_strz(nlh, KMTLS_A_FLOW_LOCAL_ID, r->local_id);
	if (r->peer_id)
		mnl_attr_put_strz(nlh, KMTLS_A_FLOW_PEER_ID, r->peer_id);
	if (r->skip != KMTLS_A_FLOW_STATE)
		mnl_attr_put_u8(nlh, KMTLS_A_FLOW_STATE, r->state);
	if (r->cipher)
		mnl_attr_put_u16(nlh, KMTLS_A_FLOW_CIPHER, r->cipher);
	mnl_attr_put(nlh, KMTLS_A_FLOW_PAD, 0, NULL);
	if (r->skip != KMTLS_A_FLOW_AGE_MS)
		mnl_attr_put_u64(nlh, KMTLS_A_FLOW_AGE_MS, r->age_ms);
	if (r->skip != KMTLS_A_FLOW_NETNS)
		mnl_attr_put_u32(nlh, KMTLS_A_FLOW_NETNS, r->netns);
	if (r->would_deny >= 0)
		mnl_attr_put_u8(nlh, KMTLS_A_FLOW_WOULD_DENY,
				(uint8_t)r->would_deny);
	if (r->has_plaintext)
		mnl_attr_put_u8(nlh, KMTLS_A_FLOW_PLAINTEXT, r->plaintext);
	msg_end(m, nlh);
}

/* Process m->b[from..to) from an exact-size heap copy. */
static int process(const struct msgbuf *m, size_t from, size_t to,
		   struct kmtls_flow_list *l, struct kmtls_nl_err *err)
{
	const struct nlattr *tb[KMTLS_A_FLOW_MAX + 1];
	struct kmtls_nl_reply reply;
	size_t len = to - from;
	void *copy = malloc(len ? len : 1);
	int ret;

	flow_reply_init(&reply, tb, l);
	memcpy(copy, m->b + from, len);
	ret = kmtls_nl_process(copy, len, request(), PORTID, &reply, err);
	free(copy);
	return ret;
}

static const struct kmtls_opts text = { 0 };
static const struct kmtls_opts json = { .json = true };
static const struct kmtls_opts pretty = { .pretty = true };

static char *print(const struct kmtls_flow_list *l, struct kmtls_opts opts,
		   int *ret)
{
	struct capture c;

	*ret = flow_print(capture_start(&c), &opts, l);
	capture_end(&c);
	return c.buf;
}

/* Decode one dump of flows r[0..n) (all in one buffer) into l. */
static int decode(const struct raw_flow *r, size_t n,
		  struct kmtls_flow_list *l, struct kmtls_nl_err *err)
{
	struct msgbuf *m = calloc(1, sizeof(*m));
	size_t i;
	int ret;

	for (i = 0; i < n; i++)
		put_flow(m, &r[i]);
	put_done(m, 0);
	ret = process(m, 0, m->len, l, err);
	free(m);
	return ret;
}

#define NETNS	4026531840u

static const struct raw_flow v4_client = {
	.would_deny = -1,
	.id = 17, .role = KMTLS_ROLE_CLIENT,
	.local = "10.21.0.1", .lport = 40312,
	.peer = "10.21.0.2", .pport = 7000,
	.local_id = "spiffe://a.test/cli", .peer_id = "spiffe://a.test/srv",
	.state = KMTLS_FLOW_STATE_ESTABLISHED,
	.cipher = TLS_CIPHER_AES_GCM_128, .age_ms = 1234, .netns = NETNS,
};

static const struct raw_flow v6_server = {
	.would_deny = -1,
	.id = 18, .role = KMTLS_ROLE_SERVER,
	.local = "fd00::2", .lport = 7000,
	.peer = "fd00::1:0:0:1", .pport = 51000,
	.local_id = "spiffe://a.test/srv", .peer_id = "spiffe://a.test/cli",
	.state = KMTLS_FLOW_STATE_ESTABLISHED,
	.cipher = TLS_CIPHER_AES_GCM_256, .age_ms = 3723000,
	.netns = NETNS + 1,
};

static const struct raw_flow in_handshake = {
	.would_deny = -1,
	.id = 19, .role = KMTLS_ROLE_CLIENT,
	.local = "127.0.0.1", .lport = 1,
	.peer = "127.0.0.1", .pport = 65535,
	.local_id = "spiffe://a.test/cli",
	.state = KMTLS_FLOW_STATE_HANDSHAKE, .age_ms = 5, .netns = NETNS,
};

static const struct raw_flow chacha = {
	.would_deny = -1,
	.id = UINT64_MAX, .role = KMTLS_ROLE_SERVER,
	.local = "::1", .lport = 443, .peer = "::ffff:10.0.0.1", .pport = 2,
	.local_id = "spiffe://b.test/ns/x", .peer_id = "spiffe://b.test/ns/y",
	.state = KMTLS_FLOW_STATE_ESTABLISHED,
	.cipher = TLS_CIPHER_CHACHA20_POLY1305,
	.age_ms = 2ULL * 86400000 + 4 * 3600000 + 59999, .netns = UINT32_MAX,
};

static const struct raw_flow unknown = {
	.would_deny = -1,
	.id = 20, .role = 7,
	.local = "10.0.0.1", .lport = 80, .peer = "10.0.0.2", .pport = 81,
	.local_id = "spiffe://a.test/x", .peer_id = "spiffe://a.test/y",
	.state = 9, .cipher = 99, .age_ms = 60000, .netns = 1,
};

static void test_flows(void)
{
	const struct raw_flow all[] = { v4_client, v6_server, in_handshake };
	struct kmtls_flow_list l = { 0 };
	struct kmtls_nl_err err;
	struct msgbuf *m = calloc(1, sizeof(*m));
	size_t i, cut = 0;
	char *s;
	int ret, pret;

	for (i = 0; i < ARRAY_SIZE(all); i++) {
		put_flow(m, &all[i]);
		if (i == 0)
			cut = m->len;
	}
	put_done(m, 0);
	ret = process(m, 0, cut, &l, &err);
	ok(ret == 1 && l.n == 1, "first buffer of the dump: 1 flow, more to come");
	ret = process(m, cut, m->len, &l, &err);
	ok(ret == 0 && l.n == 3, "second buffer: two more, then DONE");
	free(m);

	ok(l.n == 3 && l.v[0].id == 17 && l.v[0].family == AF_INET &&
	   l.v[0].local_port == 40312 && l.v[0].peer_port == 7000 &&
	   l.v[0].has_cipher && l.v[0].cipher == 51 &&
	   l.v[0].age_ms == 1234 && l.v[0].netns == NETNS &&
	   memcmp(l.v[0].local_addr, "\x0a\x15\x00\x01", 4) == 0 &&
	   l.v[1].family == AF_INET6 && l.v[1].local_addr[0] == 0xfd &&
	   l.v[2].peer_id == NULL && !l.v[2].has_cipher,
	   "flows decoded");

	s = print(&l, text, &pret);
	is_str(s,
	       "client 10.21.0.1:40312 -> 10.21.0.2:7000 established aes-128-gcm"
	       " age 1.2s netns 4026531840 local spiffe://a.test/cli"
	       " peer spiffe://a.test/srv\n"
	       "server [fd00::2]:7000 -> [fd00::1:0:0:1]:51000 established"
	       " aes-256-gcm age 1h02m netns 4026531841"
	       " local spiffe://a.test/srv peer spiffe://a.test/cli\n"
	       "client 127.0.0.1:1 -> 127.0.0.1:65535 handshake age 0.0s"
	       " netns 4026531840 local spiffe://a.test/cli\n",
	       "flows as text: v4, v6 in brackets, a handshake without cipher and peer");
	is_int(pret, 0, "  ... and reports success");
	free(s);

	s = print(&l, json, &pret);
	is_str(s,
	       "[{\"id\":17,\"role\":\"client\",\"family\":\"inet\","
	       "\"local-addr\":\"10.21.0.1\",\"local-port\":40312,"
	       "\"peer-addr\":\"10.21.0.2\",\"peer-port\":7000,"
	       "\"state\":\"established\",\"cipher\":\"aes-128-gcm\","
	       "\"age-ms\":1234,\"netns\":4026531840,"
	       "\"local-id\":\"spiffe://a.test/cli\","
	       "\"peer-id\":\"spiffe://a.test/srv\",\"plaintext\":false,\"would-deny\":false},"
	       "{\"id\":18,\"role\":\"server\",\"family\":\"inet6\","
	       "\"local-addr\":\"fd00::2\",\"local-port\":7000,"
	       "\"peer-addr\":\"fd00::1:0:0:1\",\"peer-port\":51000,"
	       "\"state\":\"established\",\"cipher\":\"aes-256-gcm\","
	       "\"age-ms\":3723000,\"netns\":4026531841,"
	       "\"local-id\":\"spiffe://a.test/srv\","
	       "\"peer-id\":\"spiffe://a.test/cli\",\"plaintext\":false,\"would-deny\":false},"
	       "{\"id\":19,\"role\":\"client\",\"family\":\"inet\","
	       "\"local-addr\":\"127.0.0.1\",\"local-port\":1,"
	       "\"peer-addr\":\"127.0.0.1\",\"peer-port\":65535,"
	       "\"state\":\"handshake\",\"age-ms\":5,\"netns\":4026531840,"
	       "\"local-id\":\"spiffe://a.test/cli\",\"plaintext\":false,\"would-deny\":false}]\n",
	       "flows as JSON: no cipher or peer-id key in the handshake");
	is_int(pret, 0, "  ... and reports success");
	free(s);

	s = print(&(struct kmtls_flow_list){ .v = l.v + 2, .n = 1 }, pretty,
		  &pret);
	is_str(s,
	       "[\n"
	       "  {\n"
	       "    \"id\": 19,\n"
	       "    \"role\": \"client\",\n"
	       "    \"family\": \"inet\",\n"
	       "    \"local-addr\": \"127.0.0.1\",\n"
	       "    \"local-port\": 1,\n"
	       "    \"peer-addr\": \"127.0.0.1\",\n"
	       "    \"peer-port\": 65535,\n"
	       "    \"state\": \"handshake\",\n"
	       "    \"age-ms\": 5,\n"
	       "    \"netns\": 4026531840,\n"
	       "    \"local-id\": \"spiffe://a.test/cli\",\n"
	       "    \"plaintext\": false,\n"
	       "    \"would-deny\": false\n"
	       "  }\n"
	       "]\n",
	       "a flow as pretty JSON");
	free(s);
	flow_list_free(&l);
	ok(l.n == 0 && l.v == NULL, "list freed and reset");
}

static void test_unknown_values(void)
{
	const struct raw_flow r[] = { unknown, chacha };
	struct kmtls_flow_list l = { 0 };
	struct kmtls_nl_err err;
	char *s;
	int ret, pret;

	ret = decode(r, ARRAY_SIZE(r), &l, &err);
	ok(ret == 0 && l.n == 2, "unknown role, state and cipher accepted");
	s = print(&l, text, &pret);
	is_str(s,
	       "role 7 10.0.0.1:80 -> 10.0.0.2:81 state 9 cipher 99 age 1m00s"
	       " netns 1 local spiffe://a.test/x peer spiffe://a.test/y\n"
	       "server [::1]:443 -> [::ffff:10.0.0.1]:2 established"
	       " chacha20-poly1305 age 2d04h netns 4294967295"
	       " local spiffe://b.test/ns/x peer spiffe://b.test/ns/y\n",
	       "text: unknown values as \"label N\"; chacha20; v4-mapped peer");
	is_int(pret, 0, "  ... and reports success");
	free(s);
	s = print(&l, json, &pret);
	is_str(s,
	       "[{\"id\":20,\"role\":7,\"family\":\"inet\","
	       "\"local-addr\":\"10.0.0.1\",\"local-port\":80,"
	       "\"peer-addr\":\"10.0.0.2\",\"peer-port\":81,"
	       "\"state\":9,\"cipher\":99,\"age-ms\":60000,\"netns\":1,"
	       "\"local-id\":\"spiffe://a.test/x\","
	       "\"peer-id\":\"spiffe://a.test/y\",\"plaintext\":false,\"would-deny\":false},"
	       "{\"id\":18446744073709551615,\"role\":\"server\","
	       "\"family\":\"inet6\",\"local-addr\":\"::1\",\"local-port\":443,"
	       "\"peer-addr\":\"::ffff:10.0.0.1\",\"peer-port\":2,"
	       "\"state\":\"established\",\"cipher\":\"chacha20-poly1305\","
	       "\"age-ms\":187259999,\"netns\":4294967295,"
	       "\"local-id\":\"spiffe://b.test/ns/x\","
	       "\"peer-id\":\"spiffe://b.test/ns/y\",\"plaintext\":false,\"would-deny\":false}]\n",
	       "JSON: unknown values as numbers");
	free(s);
	flow_list_free(&l);

	ok(flow_role_name(0) == NULL && flow_role_name(255) == NULL &&
	   flow_state_name(0) == NULL && flow_state_name(3) == NULL &&
	   flow_cipher_name(0) == NULL && flow_cipher_name(53) == NULL &&
	   strcmp(flow_cipher_name(51), "aes-128-gcm") == 0 &&
	   strcmp(flow_cipher_name(52), "aes-256-gcm") == 0 &&
	   strcmp(flow_cipher_name(54), "chacha20-poly1305") == 0,
	   "enum names: known values named, others NULL");
}

static void test_optional(void)
{
	struct raw_flow r = v4_client;
	struct kmtls_flow_list l = { 0 };
	struct kmtls_nl_err err;
	char *s;
	int ret, pret;

	/* Established, but the peer ID left out: printed without it. */
	r.peer_id = NULL;
	ret = decode(&r, 1, &l, &err);
	s = print(&l, text, &pret);
	is_str(s,
	       "client 10.21.0.1:40312 -> 10.21.0.2:7000 established aes-128-gcm"
	       " age 1.2s netns 4026531840 local spiffe://a.test/cli\n",
	       "no peer-id: the flow without \"peer\"");
	ok(ret == 0, "  ... decoded");
	free(s);
	flow_list_free(&l);

	/* A cipher but no peer ID, a peer ID but no cipher. */
	r = in_handshake;
	r.peer_id = "spiffe://a.test/srv";
	ret = decode(&r, 1, &l, &err);
	s = print(&l, json, &pret);
	ok(ret == 0 && strstr(s, "\"peer-id\":\"spiffe://a.test/srv\"") &&
	   !strstr(s, "cipher"), "peer-id without cipher: JSON has one, not the other");
	free(s);
	flow_list_free(&l);

	/* Attributes a newer kernel may add, and the handshake-only ones. */
	{
		struct msgbuf *m = calloc(1, sizeof(*m));
		struct nlmsghdr *nlh = (void *)m->b;

		put_flow(m, &in_handshake);
		m->len = 0;
		mnl_attr_put_u32(nlh, KMTLS_A_FLOW_STATUS, 5);
		mnl_attr_put(nlh, KMTLS_A_FLOW_DATA, 3, "abc");
		mnl_attr_put(nlh, KMTLS_A_FLOW_TX_KEY, 16, "0123456789abcdef");
		mnl_attr_put_u32(nlh, KMTLS_A_FLOW_MAX + 1, 7);
		mnl_attr_put_u32(nlh, 200, 7);
		msg_end(m, nlh);
		put_done(m, 0);
		ret = process(m, 0, m->len, &l, &err);
		ok(ret == 0 && l.n == 1 && l.v[0].id == 19,
		   "unknown and handshake-only attributes ignored");
		flow_list_free(&l);
		free(m);
	}

	/* No flows. */
	ret = decode(NULL, 0, &l, &err);
	s = print(&l, text, &pret);
	ok(ret == 0 && s[0] == '\0', "no flows: no text");
	free(s);
	s = print(&l, json, &pret);
	is_str(s, "[]\n", "no flows: JSON []");
	free(s);
	s = print(&l, pretty, &pret);
	is_str(s, "[]\n", "no flows: pretty JSON []");
	free(s);
}

static void test_would_deny(void)
{
	struct raw_flow r[2] = { v4_client, v6_server };
	struct kmtls_flow_list l = { 0 };
	struct kmtls_nl_err err;
	char *s;
	int ret, pret;

	r[0].would_deny = 1;
	r[1].would_deny = 0;
	ret = decode(r, 2, &l, &err);
	ok(ret == 0 && l.n == 2 && l.v[0].would_deny && !l.v[1].would_deny,
	   "would-deny decoded (1 and 0)");
	s = print(&l, text, &pret);
	is_str(s,
	       "client 10.21.0.1:40312 -> 10.21.0.2:7000 established aes-128-gcm"
	       " age 1.2s netns 4026531840 local spiffe://a.test/cli"
	       " peer spiffe://a.test/srv would-deny\n"
	       "server [fd00::2]:7000 -> [fd00::1:0:0:1]:51000 established"
	       " aes-256-gcm age 1h02m netns 4026531841"
	       " local spiffe://a.test/srv peer spiffe://a.test/cli\n",
	       "text: \"would-deny\" last when 1, nothing when 0");
	free(s);
	s = print(&l, json, &pret);
	ok(s && strstr(s, "\"peer-id\":\"spiffe://a.test/srv\",\"plaintext\":false,\"would-deny\":true}") &&
	   strstr(s, "\"peer-id\":\"spiffe://a.test/cli\",\"plaintext\":false,\"would-deny\":false}"),
	   "JSON: \"would-deny\": true / false");
	free(s);
	flow_list_free(&l);

	/* In the handshake, would-deny without a peer. */
	r[0] = in_handshake;
	r[0].would_deny = 1;
	ret = decode(r, 1, &l, &err);
	s = print(&l, text, &pret);
	ok(ret == 0 && s && strstr(s, "local spiffe://a.test/cli would-deny\n"),
	   "text: would-deny after the local ID when there is no peer");
	free(s);
	flow_list_free(&l);

	/* Any non-zero value counts. */
	r[0] = v4_client;
	r[0].would_deny = 2;
	ret = decode(r, 1, &l, &err);
	ok(ret == 0 && l.n == 1 && l.v[0].would_deny,
	   "would-deny 2 taken as true");
	flow_list_free(&l);

	/* The wrong size. */
	{
		struct msgbuf *m = calloc(1, sizeof(*m));
		struct nlmsghdr *nlh = (void *)m->b;

		put_flow(m, &v4_client);
		m->len = 0;
		mnl_attr_put_u16(nlh, KMTLS_A_FLOW_WOULD_DENY, 1);
		msg_end(m, nlh);
		put_done(m, 0);
		ret = process(m, 0, m->len, &l, &err);
		ok(ret == -EBADMSG && strstr(err.msg, "would-deny has a bad size"),
		   "a two-byte would-deny refused");
		flow_list_free(&l);
		free(m);
	}
}

/* A permissive destination's plaintext flow: no cipher, no peer. */
static void test_plaintext(void)
{
	static const struct raw_flow clear = {
		.would_deny = -1, .has_plaintext = true, .plaintext = 1,
		.id = 30, .role = KMTLS_ROLE_SERVER,
		.local = "10.21.0.2", .lport = 5432,
		.peer = "10.21.0.1", .pport = 40312,
		.local_id = "spiffe://a.test/db",
		.state = KMTLS_FLOW_STATE_ESTABLISHED, .age_ms = 3000,
		.netns = NETNS,
	};
	struct raw_flow r[2] = { clear, v4_client };
	struct kmtls_flow_list l = { 0 };
	struct kmtls_nl_err err;
	char *s;
	int ret, pret;

	r[1].has_plaintext = true;
	r[1].plaintext = 0;
	ret = decode(r, 2, &l, &err);
	ok(ret == 0 && l.n == 2 && l.v[0].plaintext && !l.v[1].plaintext,
	   "plaintext decoded (1 and 0)");
	s = print(&l, text, &pret);
	is_str(s,
	       "server 10.21.0.2:5432 -> 10.21.0.1:40312 established plaintext"
	       " age 3.0s netns 4026531840 local spiffe://a.test/db\n"
	       "client 10.21.0.1:40312 -> 10.21.0.2:7000 established aes-128-gcm"
	       " age 1.2s netns 4026531840 local spiffe://a.test/cli"
	       " peer spiffe://a.test/srv\n",
	       "text: \"plaintext\" where the cipher would be, nothing when 0");
	free(s);
	s = print(&l, json, &pret);
	is_str(s,
	       "[{\"id\":30,\"role\":\"server\",\"family\":\"inet\","
	       "\"local-addr\":\"10.21.0.2\",\"local-port\":5432,"
	       "\"peer-addr\":\"10.21.0.1\",\"peer-port\":40312,"
	       "\"state\":\"established\",\"age-ms\":3000,"
	       "\"netns\":4026531840,\"local-id\":\"spiffe://a.test/db\","
	       "\"plaintext\":true,\"would-deny\":false},"
	       "{\"id\":17,\"role\":\"client\",\"family\":\"inet\","
	       "\"local-addr\":\"10.21.0.1\",\"local-port\":40312,"
	       "\"peer-addr\":\"10.21.0.2\",\"peer-port\":7000,"
	       "\"state\":\"established\",\"cipher\":\"aes-128-gcm\","
	       "\"age-ms\":1234,\"netns\":4026531840,"
	       "\"local-id\":\"spiffe://a.test/cli\","
	       "\"peer-id\":\"spiffe://a.test/srv\","
	       "\"plaintext\":false,\"would-deny\":false}]\n",
	       "JSON: \"plaintext\": true, no cipher or peer-id key / false");
	free(s);
	flow_list_free(&l);

	/* Plaintext and would-deny together: both words, in that order. */
	r[0] = clear;
	r[0].would_deny = 1;
	ret = decode(r, 1, &l, &err);
	s = print(&l, text, &pret);
	ok(ret == 0 && s && strstr(s, " established plaintext age 3.0s") &&
	   strstr(s, "local spiffe://a.test/db would-deny\n"),
	   "text: plaintext and would-deny together");
	free(s);
	flow_list_free(&l);

	/* The wrong size. */
	{
		struct msgbuf *m = calloc(1, sizeof(*m));
		struct nlmsghdr *nlh = (void *)m->b;

		put_flow(m, &v4_client);
		m->len = 0;
		mnl_attr_put_u32(nlh, KMTLS_A_FLOW_PLAINTEXT, 1);
		msg_end(m, nlh);
		put_done(m, 0);
		ret = process(m, 0, m->len, &l, &err);
		ok(ret == -EBADMSG && strstr(err.msg, "plaintext has a bad size"),
		   "a four-byte plaintext refused");
		flow_list_free(&l);
		free(m);
	}
}

static void test_escape(void)
{
	struct raw_flow r = v4_client;
	struct kmtls_flow_list l = { 0 };
	struct kmtls_nl_err err;
	char *s;
	int pret;

	r.local_id = "spiffe://a.test/x\n\x1b[2J";
	r.peer_id = "spiffe://a.test/\"q\"";
	decode(&r, 1, &l, &err);
	s = print(&l, text, &pret);
	ok(s && strstr(s, "local spiffe://a.test/x\\012\\033[2J peer spiffe://a.test/\"q\"\n"),
	   "text: control characters in an ID escaped as \\ooo");
	free(s);
	s = print(&l, json, &pret);
	ok(s && strstr(s, "\"local-id\":\"spiffe://a.test/x\\n\\u001b[2J\","
			  "\"peer-id\":\"spiffe://a.test/\\\"q\\\"\""),
	   "JSON: the same escaped as JSON");
	free(s);
	flow_list_free(&l);
}

/* Many flows: the list grows past its first allocation, over buffers. */
static void test_many(void)
{
	struct msgbuf *m = calloc(1, sizeof(*m));
	struct kmtls_flow_list l = { 0 };
	struct kmtls_nl_err err;
	size_t cut = 0, i;
	bool good = true;
	int r1, r2;

	for (i = 0; i < 50; i++) {
		struct raw_flow r = v4_client;

		r.id = i;
		r.lport = (uint16_t)(1000 + i);
		put_flow(m, &r);
		if (i == 24)
			cut = m->len;
	}
	put_done(m, 0);
	r1 = process(m, 0, cut, &l, &err);
	r2 = process(m, cut, m->len, &l, &err);
	for (i = 0; i < l.n; i++)
		good = good && l.v[i].id == i && l.v[i].local_port == 1000 + i &&
		       strcmp(l.v[i].peer_id, "spiffe://a.test/srv") == 0;
	ok(r1 == 1 && r2 == 0 && l.n == 50 && good,
	   "50 flows over two buffers, in order");
	flow_list_free(&l);
	free(m);
}

static void bad(const struct raw_flow *r, const char *want, const char *name)
{
	const struct raw_flow two[] = { v4_client, *r };
	struct kmtls_flow_list l = { 0 };
	struct kmtls_nl_err err;
	int ret;

	ret = decode(two, 2, &l, &err);
	if (!ok(ret == -EBADMSG && strstr(err.msg, want), "%s", name)) {
		printf("#   ret %d\n", ret);
		diag_str("msg ", err.msg);
		diag_str("want", want);
	}
	flow_list_free(&l);
}

static void test_bad(void)
{
	static const struct { uint16_t type; const char *name; } required[] = {
		{ KMTLS_A_FLOW_ID, "id" },
		{ KMTLS_A_FLOW_ROLE, "role" },
		{ KMTLS_A_FLOW_FAMILY, "family" },
		{ KMTLS_A_FLOW_LOCAL_ADDR, "local-addr" },
		{ KMTLS_A_FLOW_LOCAL_PORT, "local-port" },
		{ KMTLS_A_FLOW_PEER_ADDR, "peer-addr" },
		{ KMTLS_A_FLOW_PEER_PORT, "peer-port" },
		{ KMTLS_A_FLOW_LOCAL_ID, "local-id" },
		{ KMTLS_A_FLOW_STATE, "state" },
		{ KMTLS_A_FLOW_AGE_MS, "age-ms" },
		{ KMTLS_A_FLOW_NETNS, "netns" },
	};
	struct raw_flow r;
	char want[64], name[64];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(required); i++) {
		r = v4_client;
		r.skip = required[i].type;
		snprintf(want, sizeof(want), "%s missing", required[i].name);
		snprintf(name, sizeof(name), "flow without %s refused",
			 required[i].name);
		bad(&r, want, name);
	}

	r = v4_client;
	r.family = 3;
	bad(&r, "malformed reply: flow family 3 is neither AF_INET nor AF_INET6",
	    "unknown family refused");
	r = v4_client;
	r.family = AF_INET6;
	bad(&r, "malformed reply: attribute local-addr has 4 bytes, not 16 for inet6",
	    "inet6 flow with 4-byte addresses refused");
	r = v4_client;
	r.addrlen = 16;
	bad(&r, "attribute local-addr has 16 bytes, not 4 for inet",
	    "inet flow with a 16-byte local address refused");
	r = v4_client;
	r.addrlen = 5;
	bad(&r, "local-addr has 5 bytes", "5-byte address refused");
	r = v6_server;
	r.addrlen = 4;
	r.family = AF_INET6;
	bad(&r, "local-addr has 4 bytes, not 16", "short inet6 address refused");
	r = v4_client;
	r.local = "fd00::1";
	r.family = AF_INET;
	bad(&r, "local-addr has 16 bytes", "inet flow with an inet6 local address refused");

	/* Attributes of the wrong size or form. */
	{
		static const struct { uint16_t type; int len; const char *want; } sizes[] = {
			{ KMTLS_A_FLOW_LOCAL_PORT, 4, "local-port has a bad size" },
			{ KMTLS_A_FLOW_ID, 4, "id has a bad size" },
			{ KMTLS_A_FLOW_ROLE, 2, "role has a bad size" },
			{ KMTLS_A_FLOW_CIPHER, 1, "cipher has a bad size" },
			{ KMTLS_A_FLOW_NETNS, 8, "netns has a bad size" },
			{ KMTLS_A_FLOW_PEER_ID, 3, "peer-id has a bad size" },
		};
		struct kmtls_flow_list l = { 0 };
		struct kmtls_nl_err err;
		struct msgbuf *m = calloc(1, sizeof(*m));
		struct nlmsghdr *nlh;
		int ret;

		for (i = 0; i < ARRAY_SIZE(sizes); i++) {
			r = v4_client;
			r.skip = sizes[i].type;
			if (sizes[i].type == KMTLS_A_FLOW_CIPHER)
				r.cipher = 0;
			if (sizes[i].type == KMTLS_A_FLOW_PEER_ID)
				r.peer_id = NULL;
			memset(m, 0, sizeof(*m));
			put_flow(m, &r);
			nlh = (void *)m->b;
			m->len = 0;
			/* "abc" without its NUL for the string */
			mnl_attr_put(nlh, sizes[i].type, sizes[i].len,
				     "abcdefgh");
			msg_end(m, nlh);
			put_done(m, 0);
			ret = process(m, 0, m->len, &l, &err);
			if (!ok(ret == -EBADMSG && strstr(err.msg, sizes[i].want),
				"%s refused", sizes[i].want)) {
				printf("#   ret %d\n", ret);
				diag_str("msg ", err.msg);
			}
			flow_list_free(&l);
		}

		/* The same attribute twice. */
		memset(m, 0, sizeof(*m));
		put_flow(m, &v4_client);
		nlh = (void *)m->b;
		m->len = 0;
		mnl_attr_put_u8(nlh, KMTLS_A_FLOW_STATE, 1);
		msg_end(m, nlh);
		put_done(m, 0);
		ret = process(m, 0, m->len, &l, &err);
		ok(ret == -EBADMSG && strstr(err.msg, "state appears twice"),
		   "a duplicate attribute refused");
		flow_list_free(&l);

		/* A message cut short inside an attribute. */
		memset(m, 0, sizeof(*m));
		put_flow(m, &v4_client);
		nlh = (void *)m->b;
		nlh->nlmsg_len -= 6;
		m->len = NLMSG_ALIGN(nlh->nlmsg_len);
		put_done(m, 0);
		ret = process(m, 0, m->len, &l, &err);
		ok(ret == -EBADMSG && l.n == 0, "a truncated message refused");
		flow_list_free(&l);
		free(m);
	}
}

static void test_age(void)
{
	static const struct { uint64_t ms; const char *want; } t[] = {
		{ 0, "0.0s" }, { 99, "0.0s" }, { 100, "0.1s" },
		{ 1234, "1.2s" }, { 59999, "59.9s" }, { 60000, "1m00s" },
		{ 61000, "1m01s" }, { 3599999, "59m59s" }, { 3600000, "1h00m" },
		{ 86399999, "23h59m" }, { 86400000, "1d00h" },
		{ 90000000, "1d01h" },
		{ UINT64_MAX, "213503982334d14h" },
	};
	char buf[32];
	bool all = true;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		flow_format_age(t[i].ms, buf, sizeof(buf));
		if (strcmp(buf, t[i].want) != 0) {
			printf("#   %llu ms: got \"%s\", want \"%s\"\n",
			       (unsigned long long)t[i].ms, buf, t[i].want);
			all = false;
		}
	}
	ok(all, "ages for people: s with a tenth, m+s, h+m, d+h");
}

/* Random damage to a dump must never crash or read out of bounds. */
static void test_fuzz(void)
{
	const struct raw_flow all[] = { v4_client, v6_server, in_handshake,
					unknown, chacha };
	struct msgbuf *good = calloc(1, sizeof(*good));
	struct msgbuf *m = calloc(1, sizeof(*m));
	struct kmtls_flow_list l = { 0 };
	struct kmtls_nl_err err;
	unsigned int seed = 11, i, j;
	int ret, outcomes[3] = { 0 }, bad_print = 0, pret;
	char *s;

	for (i = 0; i < ARRAY_SIZE(all); i++)
		put_flow(good, &all[i]);
	put_done(good, 0);

	for (i = 0; i < 20000; i++) {
		memcpy(m->b, good->b, good->len);
		m->len = good->len;
		for (j = 0; j < 1 + i % 4; j++) {
			seed = seed * 1103515245 + 12345;
			m->b[(seed >> 8) % good->len] = (uint8_t)(seed >> 20);
		}
		ret = process(m, 0, m->len, &l, &err);
		outcomes[ret < 0 ? 0 : ret == 0 ? 1 : 2]++;
		/* Whatever was accepted prints, as text and as JSON. */
		if (ret == 0) {
			s = print(&l, text, &pret);
			bad_print += pret != 0;
			free(s);
			s = print(&l, json, &pret);
			bad_print += pret != 0;
			free(s);
		}
		flow_list_free(&l);
	}
	ok(outcomes[0] > 0 && outcomes[1] > 0,
	   "20000 damaged dumps handled (%d errors, %d done, %d more)",
	   outcomes[0], outcomes[1], outcomes[2]);
	is_int(bad_print, 0, "every flow a damaged dump yields prints");
	free(good);
	free(m);
}

static void test_write_error(void)
{
	struct kmtls_flow f = {
		.family = AF_INET, .role = 1, .state = 2, .local_id = "x",
	};
	struct kmtls_flow_list l = { .v = &f, .n = 1 };
	FILE *full = fopen("/dev/full", "w");

	if (!full) {
		ok(true, "write error reported # SKIP no /dev/full");
		return;
	}
	ok(flow_print(full, &text, &l) != 0 && flow_print(full, &json, &l) != 0,
	   "write errors reported (text and JSON)");
	fclose(full);
}

int main(void)
{
	test_flows();
	test_unknown_values();
	test_optional();
	test_would_deny();
	test_plaintext();
	test_escape();
	test_many();
	test_bad();
	test_age();
	test_fuzz();
	test_write_error();
	return tap_done();
}
