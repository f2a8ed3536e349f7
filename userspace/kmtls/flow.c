// SPDX-License-Identifier: GPL-2.0
/*
 * The flows object: the meshed connections the module tracks
 * (KMTLS_CMD_FLOW_GET).
 *
 *	kmtls flows [ show | list ]		("flow" works too: a prefix)
 *
 * One flow per line, ss style; the local side first:
 *
 *	client 10.21.0.1:40312 -> 10.21.0.2:7000 established aes-128-gcm
 *	    age 1.2s netns 4026531840 local spiffe://a.test/cli
 *	    peer spiffe://a.test/srv			(one line; wrapped here)
 *
 * A flow the policy let through only because of an audit rule or an audit
 * default ends in "would-deny" (JSON: "would-deny": true; false for the
 * others, and when the kernel does not send the attribute).
 *
 * A flow a permissive destination admitted in clear has "plaintext" where
 * the cipher would be, and no peer ID (JSON: "plaintext": true; false for
 * the others, and when the kernel does not send the attribute):
 *
 *	server 10.21.0.2:5432 -> 10.21.0.1:40312 established plaintext
 *	    age 3.0s netns 4026531840 local spiffe://a.test/db
 *
 * A flow still in its handshake has no cipher and no peer ID yet.  A role,
 * state or cipher this program does not know is printed as its number
 * ("role 7", "cipher 99"; a JSON number instead of a string), so a newer
 * kernel never breaks the listing.  JSON keys are the spec's attribute
 * names, with the addresses and ports split up and the flow id added.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/kmtls.h>
#include <linux/tls.h>
#include <sys/socket.h>

#include "kmtls.h"
#include "out.h"

#define FLOW_HINT	"kmtls flows help"

/* ---- names ------------------------------------------------------------- */

const char *flow_role_name(uint8_t role)
{
	switch (role) {
	case KMTLS_ROLE_CLIENT:
		return "client";
	case KMTLS_ROLE_SERVER:
		return "server";
	}
	return NULL;
}

const char *flow_state_name(uint8_t state)
{
	switch (state) {
	case KMTLS_FLOW_STATE_HANDSHAKE:
		return "handshake";
	case KMTLS_FLOW_STATE_ESTABLISHED:
		return "established";
	}
	return NULL;
}

const char *flow_cipher_name(uint16_t cipher)
{
	switch (cipher) {
	case TLS_CIPHER_AES_GCM_128:
		return "aes-128-gcm";
	case TLS_CIPHER_AES_GCM_256:
		return "aes-256-gcm";
	case TLS_CIPHER_CHACHA20_POLY1305:
		return "chacha20-poly1305";
	}
	return NULL;
}

void flow_format_age(uint64_t ms, char *buf, size_t len)
{
	uint64_t s = ms / 1000;

	if (s < 60)
		snprintf(buf, len, "%" PRIu64 ".%" PRIu64 "s", s,
			 ms % 1000 / 100);
	else if (s < 3600)
		snprintf(buf, len, "%" PRIu64 "m%02" PRIu64 "s", s / 60,
			 s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%" PRIu64 "h%02" PRIu64 "m", s / 3600,
			 s % 3600 / 60);
	else
		snprintf(buf, len, "%" PRIu64 "d%02" PRIu64 "h", s / 86400,
			 s % 86400 / 3600);
}

/* ---- replies ----------------------------------------------------------- */

/* The attributes of a dump reply; the handshake-only ones are ignored. */
static const struct kmtls_nl_policy flow_policy[KMTLS_A_FLOW_MAX + 1] = {
	[KMTLS_A_FLOW_ID] = { KMTLS_NL_U64, true, "id" },
	[KMTLS_A_FLOW_PAD] = { KMTLS_NL_PAD, false, "pad" },
	[KMTLS_A_FLOW_ROLE] = { KMTLS_NL_U8, true, "role" },
	[KMTLS_A_FLOW_FAMILY] = { KMTLS_NL_U8, true, "family" },
	[KMTLS_A_FLOW_LOCAL_ADDR] = { KMTLS_NL_BINARY, true, "local-addr" },
	[KMTLS_A_FLOW_LOCAL_PORT] = { KMTLS_NL_U16, true, "local-port" },
	[KMTLS_A_FLOW_PEER_ADDR] = { KMTLS_NL_BINARY, true, "peer-addr" },
	[KMTLS_A_FLOW_PEER_PORT] = { KMTLS_NL_U16, true, "peer-port" },
	[KMTLS_A_FLOW_LOCAL_ID] = { KMTLS_NL_STRING, true, "local-id" },
	[KMTLS_A_FLOW_PEER_ID] = { KMTLS_NL_STRING, false, "peer-id" },
	[KMTLS_A_FLOW_CIPHER] = { KMTLS_NL_U16, false, "cipher" },
	[KMTLS_A_FLOW_STATE] = { KMTLS_NL_U8, true, "state" },
	[KMTLS_A_FLOW_AGE_MS] = { KMTLS_NL_U64, true, "age-ms" },
	[KMTLS_A_FLOW_NETNS] = { KMTLS_NL_U32, true, "netns" },
	[KMTLS_A_FLOW_WOULD_DENY] = { KMTLS_NL_U8, false, "would-deny" },
	[KMTLS_A_FLOW_PLAINTEXT] = { KMTLS_NL_U8, false, "plaintext" },
};

void flow_list_free(struct kmtls_flow_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].local_id);
		free(l->v[i].peer_id);
	}
	free(l->v);
	*l = (struct kmtls_flow_list){ 0 };
}

/* Copy an address attribute of the family's size into addr. */
static int get_addr(const struct nlattr *a, const char *name, int family,
		    uint8_t *addr, struct kmtls_nl_err *err)
{
	uint16_t want = family == AF_INET ? 4 : 16;
	uint16_t len = mnl_attr_get_payload_len(a);

	if (len != want)
		return kmtls_nl_seterr(err, -EBADMSG,
				       "malformed reply: attribute %s has %u bytes, not %u for %s",
				       name, len, want,
				       family == AF_INET ? "inet" : "inet6");
	memcpy(addr, mnl_attr_get_payload(a), len);
	return 0;
}

static int flow_cb(const struct nlmsghdr *nlh, const struct nlattr *const *tb,
		   void *data, struct kmtls_nl_err *err)
{
	struct kmtls_flow_list *l = data;
	struct kmtls_flow f = { 0 };
	uint8_t family;

	(void)nlh;
	family = mnl_attr_get_u8(tb[KMTLS_A_FLOW_FAMILY]);
	if (family != AF_INET && family != AF_INET6)
		return kmtls_nl_seterr(err, -EBADMSG,
				       "malformed reply: flow family %u is neither AF_INET nor AF_INET6",
				       family);
	f.family = family;
	if (get_addr(tb[KMTLS_A_FLOW_LOCAL_ADDR], "local-addr", family,
		     f.local_addr, err) ||
	    get_addr(tb[KMTLS_A_FLOW_PEER_ADDR], "peer-addr", family,
		     f.peer_addr, err))
		return -EBADMSG;
	f.id = mnl_attr_get_u64(tb[KMTLS_A_FLOW_ID]);
	f.role = mnl_attr_get_u8(tb[KMTLS_A_FLOW_ROLE]);
	f.state = mnl_attr_get_u8(tb[KMTLS_A_FLOW_STATE]);
	f.local_port = mnl_attr_get_u16(tb[KMTLS_A_FLOW_LOCAL_PORT]);
	f.peer_port = mnl_attr_get_u16(tb[KMTLS_A_FLOW_PEER_PORT]);
	f.age_ms = mnl_attr_get_u64(tb[KMTLS_A_FLOW_AGE_MS]);
	f.netns = mnl_attr_get_u32(tb[KMTLS_A_FLOW_NETNS]);
	if (tb[KMTLS_A_FLOW_CIPHER]) {
		f.has_cipher = true;
		f.cipher = mnl_attr_get_u16(tb[KMTLS_A_FLOW_CIPHER]);
	}
	if (tb[KMTLS_A_FLOW_WOULD_DENY])
		f.would_deny = mnl_attr_get_u8(tb[KMTLS_A_FLOW_WOULD_DENY]) != 0;
	if (tb[KMTLS_A_FLOW_PLAINTEXT])
		f.plaintext = mnl_attr_get_u8(tb[KMTLS_A_FLOW_PLAINTEXT]) != 0;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		void *v = realloc(l->v, cap * sizeof(*l->v));

		if (!v)
			return kmtls_nl_seterr(err, -ENOMEM, "out of memory");
		l->v = v;
		l->cap = cap;
	}
	f.local_id = strdup(mnl_attr_get_str(tb[KMTLS_A_FLOW_LOCAL_ID]));
	if (tb[KMTLS_A_FLOW_PEER_ID])
		f.peer_id = strdup(mnl_attr_get_str(tb[KMTLS_A_FLOW_PEER_ID]));
	if (!f.local_id || (tb[KMTLS_A_FLOW_PEER_ID] && !f.peer_id)) {
		free(f.local_id);
		free(f.peer_id);
		return kmtls_nl_seterr(err, -ENOMEM, "out of memory");
	}
	l->v[l->n++] = f;
	return 0;
}

/* tb: KMTLS_A_FLOW_MAX + 1 entries, owned by the caller. */
void flow_reply_init(struct kmtls_nl_reply *reply, const struct nlattr **tb,
		     struct kmtls_flow_list *l)
{
	*reply = (struct kmtls_nl_reply){
		.policy = flow_policy,
		.maxtype = KMTLS_A_FLOW_MAX,
		.tb = tb,
		.cb = flow_cb,
		.data = l,
	};
}

/* ---- printing ---------------------------------------------------------- */

/* A known value by name (text: bare, JSON: a string); an unknown one by
 * number (text: "label N", JSON: a number).
 */
static void out_enum(struct out *o, const char *key, const char *name,
		     uint64_t val)
{
	if (name)
		out_str(o, key, "", name);
	else
		out_u64(o, key, NULL, val, NULL);
}

/* One side of the flow: text ADDR:PORT or [ADDR]:PORT, JSON split up. */
static void out_endpoint(struct out *o, const char *addr_key,
			 const char *port_key, int family, const uint8_t *addr,
			 uint16_t port)
{
	char a[INET6_ADDRSTRLEN] = "?", s[INET6_ADDRSTRLEN + 8];

	inet_ntop(family, addr, a, sizeof(a));
	snprintf(s, sizeof(s), family == AF_INET6 ? "[%s]:%u" : "%s:%u", a,
		 port);
	out_text(o, s);
	out_json_str(o, addr_key, a);
	out_json_u64(o, port_key, port);
}

int flow_print(FILE *f, const struct kmtls_opts *opts,
	       const struct kmtls_flow_list *l)
{
	const struct kmtls_flow *fl;
	char age[32];
	struct out o;
	size_t i;

	out_list_init(&o, f, opts);
	out_begin(&o);
	for (i = 0; i < l->n; i++) {
		fl = &l->v[i];
		out_item_begin(&o);
		out_json_u64(&o, "id", fl->id);
		out_enum(&o, "role", flow_role_name(fl->role), fl->role);
		out_json_str(&o, "family",
			     fl->family == AF_INET ? "inet" : "inet6");
		out_endpoint(&o, "local-addr", "local-port", fl->family,
			     fl->local_addr, fl->local_port);
		out_text(&o, "->");
		out_endpoint(&o, "peer-addr", "peer-port", fl->family,
			     fl->peer_addr, fl->peer_port);
		out_enum(&o, "state", flow_state_name(fl->state), fl->state);
		if (fl->has_cipher)
			out_enum(&o, "cipher", flow_cipher_name(fl->cipher),
				 fl->cipher);
		if (fl->plaintext)
			out_text(&o, "plaintext");
		flow_format_age(fl->age_ms, age, sizeof(age));
		out_text_field(&o, "age", age);
		out_json_u64(&o, "age-ms", fl->age_ms);
		out_u64(&o, "netns", NULL, fl->netns, NULL);
		out_str(&o, "local-id", "local", fl->local_id);
		if (fl->peer_id)
			out_str(&o, "peer-id", "peer", fl->peer_id);
		out_json_bool(&o, "plaintext", fl->plaintext);
		if (fl->would_deny)
			out_text(&o, "would-deny");
		out_json_bool(&o, "would-deny", fl->would_deny);
		out_item_end(&o);
	}
	return out_end(&o);
}

/* ---- commands ---------------------------------------------------------- */

static int flow_show(struct kmtls_ctx *ctx, int argc, char **argv)
{
	const struct nlattr *tb[KMTLS_A_FLOW_MAX + 1];
	struct kmtls_flow_list l = { 0 };
	struct kmtls_nl_reply reply;
	int ret;

	if (argc > 0)
		return usage_error(ctx, FLOW_HINT,
				   "unexpected argument \"%s\"", argv[0]);
	flow_reply_init(&reply, tb, &l);
	ret = nl_dump(ctx, KMTLS_CMD_FLOW_GET, &reply);
	if (ret == EXIT_OK)
		ret = print_result(ctx, flow_print(ctx->out, &ctx->opts, &l));
	flow_list_free(&l);
	return ret;
}

static int flow_help(struct kmtls_ctx *ctx, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	help_flows(ctx->out);
	return EXIT_OK;
}

static const struct kmtls_cmd flow_cmds[] = {
	{ "show", flow_show },
	{ "list", flow_show },
	{ "help", flow_help },
};

int cmd_flows(struct kmtls_ctx *ctx, int argc, char **argv)
{
	return kmtls_dispatch(ctx, flow_cmds, ARRAY_SIZE(flow_cmds),
			      &flow_cmds[0], "command", FLOW_HINT, argc, argv);
}
