// SPDX-License-Identifier: GPL-2.0
/*
 * The dest object: declared destinations, whose connections are meshed.
 *
 *	kmtls dest add DEST [mode MODE] [identity SPIFFE-ID]
 *	kmtls dest del DEST
 *	kmtls dest [ show | list ]
 *
 *	DEST := ADDR[/LEN][:PORT[-PORT]]		IPv4
 *	        ADDR[/LEN] | [ADDR[/LEN]]:PORT[-PORT]	IPv6
 *	MODE := strict | permissive | disabled
 *
 * The words after DEST come in any order, each once; keywords and modes
 * may be shortened to a unique prefix.  Without a mode the kernel's
 * default, strict, applies.  "dest del" matches the prefix and the port
 * range only, so it refuses a mode or an identity rather than ignore them.
 *
 * "dest show" prints each destination in its shortest DEST form (no /LEN
 * for a single address, no ports for all of them, 1-65535), then its mode,
 * always, and its identity when it has one: a line "dest add" takes.
 * An IPv6 address without brackets is never followed by a port:
 * "fd00::1:80" is the address fd00::1:80.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/kmtls.h>
#include <sys/socket.h>

#include "kmtls.h"
#include "out.h"

#define DEST_HINT	"kmtls dest help"

#define PORT_MIN	1
#define PORT_MAX	65535

/* Longest DEST argument worth looking at. */
#define DEST_ARG_MAX	128

static unsigned int addr_bits(int family)
{
	return family == AF_INET ? 32 : 128;
}

static size_t addr_bytes(int family)
{
	return family == AF_INET ? 4 : 16;
}

/* The network of addr/len: addr with the host bits cleared. */
static void network(const uint8_t *addr, unsigned int len, size_t bytes,
		    uint8_t *net)
{
	size_t i;

	for (i = 0; i < bytes; i++) {
		if (len >= 8 * (i + 1))
			net[i] = addr[i];
		else if (len <= 8 * i)
			net[i] = 0;
		else
			net[i] = addr[i] & (uint8_t)(0xff << (8 - (len - 8 * i)));
	}
}

int dest_check(const struct kmtls_dest *d, char *why, size_t whylen)
{
	char a[INET6_ADDRSTRLEN];
	uint8_t net[16];
	size_t bytes;

	if (d->family != AF_INET && d->family != AF_INET6) {
		snprintf(why, whylen, "not an IPv4 or IPv6 destination");
		return -EINVAL;
	}
	if (d->prefix_len > addr_bits(d->family)) {
		snprintf(why, whylen, "prefix length %u out of range 0..%u",
			 d->prefix_len, addr_bits(d->family));
		return -EINVAL;
	}
	bytes = addr_bytes(d->family);
	network(d->addr, d->prefix_len, bytes, net);
	if (memcmp(net, d->addr, bytes) != 0) {
		inet_ntop(d->family, net, a, sizeof(a));
		snprintf(why, whylen, "host bits set (did you mean %s/%u?)",
			 a, d->prefix_len);
		return -EINVAL;
	}
	if (d->port_min < PORT_MIN) {
		snprintf(why, whylen, "port 0 is not allowed (ports are %u..%u)",
			 PORT_MIN, PORT_MAX);
		return -EINVAL;
	}
	if (d->port_max < d->port_min) {
		snprintf(why, whylen, "port range %u-%u is inverted",
			 d->port_min, d->port_max);
		return -EINVAL;
	}
	return 0;
}

static int parse_port(const char *s, uint16_t *port, char *why,
		      size_t whylen)
{
	uint32_t v;
	int ret;

	ret = args_parse_u32(s, &v);
	if (ret == -EINVAL) {
		snprintf(why, whylen, "invalid port \"%s\"", s);
		return -EINVAL;
	}
	if (ret == 0 && v == 0) {
		snprintf(why, whylen, "port 0 is not allowed (ports are %u..%u)",
			 PORT_MIN, PORT_MAX);
		return -EINVAL;
	}
	if (ret || v > PORT_MAX) {
		snprintf(why, whylen, "port %s out of range %u..%u", s,
			 PORT_MIN, PORT_MAX);
		return -EINVAL;
	}
	*port = (uint16_t)v;
	return 0;
}

int port_range_parse(const char *s, uint16_t *pmin, uint16_t *pmax,
		     char *why, size_t whylen)
{
	char buf[DEST_ARG_MAX], *dash;
	uint16_t lo, hi;

	if (strlen(s) >= sizeof(buf)) {
		snprintf(why, whylen, "invalid port \"%s\"", s);
		return -EINVAL;
	}
	memcpy(buf, s, strlen(s) + 1);
	dash = strchr(buf, '-');
	if (dash)
		*dash = '\0';
	if (parse_port(buf, &lo, why, whylen))
		return -EINVAL;
	hi = lo;
	if (dash && parse_port(dash + 1, &hi, why, whylen))
		return -EINVAL;
	if (hi < lo) {
		snprintf(why, whylen, "port range %u-%u is inverted", lo, hi);
		return -EINVAL;
	}
	*pmin = lo;
	*pmax = hi;
	return 0;
}

int dest_parse(const char *s, struct kmtls_dest *d, char *why, size_t whylen)
{
	char buf[DEST_ARG_MAX], *addr, *len = NULL, *ports = NULL, *p;
	bool bracket = false;
	uint8_t v4[4];
	uint32_t v;
	int colons = 0;

	*d = (struct kmtls_dest){ .port_min = PORT_MIN, .port_max = PORT_MAX };
	if (strlen(s) >= sizeof(buf)) {
		snprintf(why, whylen, "too long for a destination");
		return -EINVAL;
	}
	memcpy(buf, s, strlen(s) + 1);

	if (buf[0] == '[') {
		bracket = true;
		addr = buf + 1;
		p = strchr(addr, ']');
		if (!p) {
			snprintf(why, whylen, "missing \"]\"");
			return -EINVAL;
		}
		*p++ = '\0';
		if (*p == '\0') {
			snprintf(why, whylen,
				 "brackets are only for an IPv6 destination with a port, [ADDR[/LEN]]:PORT; without one write ADDR[/LEN]");
			return -EINVAL;
		}
		if (*p != ':') {
			snprintf(why, whylen, "expected \":PORT\" after \"]\"");
			return -EINVAL;
		}
		ports = p + 1;
		d->family = AF_INET6;
	} else {
		addr = buf;
		for (p = buf; *p; p++)
			colons += *p == ':';
		/* An IPv6 address has at least two colons, IPv4:PORT one. */
		if (colons >= 2) {
			d->family = AF_INET6;
		} else {
			d->family = AF_INET;
			p = strchr(buf, ':');
			if (p) {
				*p = '\0';
				ports = p + 1;
			}
		}
	}
	p = strchr(addr, '/');
	if (p) {
		*p = '\0';
		len = p + 1;
	}

	if (inet_pton(d->family, addr, d->addr) != 1) {
		if (bracket && inet_pton(AF_INET, addr, v4) == 1)
			snprintf(why, whylen,
				 "brackets are for IPv6 addresses; write an IPv4 destination as ADDR[/LEN][:PORT[-PORT]]");
		else
			snprintf(why, whylen, "\"%s\" is not an %s address",
				 addr, bracket ? "IPv6" : "IPv4 or IPv6");
		return -EINVAL;
	}

	d->prefix_len = (uint8_t)addr_bits(d->family);
	if (len) {
		if (args_parse_u32(len, &v) == -EINVAL) {
			snprintf(why, whylen, "invalid prefix length \"%s\"%s",
				 len,
				 d->family == AF_INET6 && strchr(len, ':') ?
				 "; put an IPv6 destination with a port in brackets, [ADDR/LEN]:PORT" :
				 "");
			return -EINVAL;
		}
		if (v > addr_bits(d->family)) {
			snprintf(why, whylen,
				 "prefix length %s out of range 0..%u", len,
				 addr_bits(d->family));
			return -EINVAL;
		}
		d->prefix_len = (uint8_t)v;
	}
	if (ports && port_range_parse(ports, &d->port_min, &d->port_max, why,
				      whylen))
		return -EINVAL;
	return dest_check(d, why, whylen);
}

void dest_format(const struct kmtls_dest *d, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?", plen[8] = "", ports[16] = "";
	bool v6 = d->family == AF_INET6;

	inet_ntop(d->family, d->addr, a, sizeof(a));
	if (d->prefix_len != addr_bits(d->family))
		snprintf(plen, sizeof(plen), "/%u", d->prefix_len);
	if (d->port_min == d->port_max)
		snprintf(ports, sizeof(ports), ":%u", d->port_min);
	else if (d->port_min != PORT_MIN || d->port_max != PORT_MAX)
		snprintf(ports, sizeof(ports), ":%u-%u", d->port_min,
			 d->port_max);
	if (v6 && ports[0])
		snprintf(buf, len, "[%s%s]%s", a, plen, ports);
	else
		snprintf(buf, len, "%s%s%s", a, plen, ports);
}

/* ---- mode and identity ------------------------------------------------- */

/* Index + 1 is the KMTLS_DEST_MODE_* value. */
static const struct { const char *name; } modes[] = {
	{ "strict" },
	{ "permissive" },
	{ "disabled" },
};

const char *dest_mode_name(uint8_t mode)
{
	if (mode >= 1 && mode <= ARRAY_SIZE(modes))
		return modes[mode - 1].name;
	return NULL;
}

int dest_mode_parse(const char *s, uint8_t *mode, char *why, size_t whylen)
{
	int k = ARGS_FIND(s, modes);

	if (k >= 0) {
		*mode = (uint8_t)(k + 1);
		return 0;
	}
	/* No two modes share a first letter: never ambiguous. */
	snprintf(why, whylen, "expected strict, permissive or disabled");
	return -EINVAL;
}

enum { KW_MODE, KW_IDENTITY };

static const struct {
	const char *name;
	const char *value;	/* what the keyword takes, for messages */
} keywords[] = {
	[KW_MODE] = { "mode", "strict|permissive|disabled" },
	[KW_IDENTITY] = { "identity", "SPIFFE-ID" },
};

int dest_parse_args(int argc, char **argv, struct kmtls_dest *d, char *why,
		    size_t whylen)
{
	bool given[ARRAY_SIZE(keywords)] = { false };
	char reason[DEST_ARG_MAX + 64];
	const char *bad;
	int i, k;

	if (argc < 1) {
		snprintf(why, whylen, "missing DEST");
		return -EINVAL;
	}
	if (dest_parse(argv[0], d, reason, sizeof(reason))) {
		snprintf(why, whylen, "invalid destination \"%s\": %s",
			 argv[0], reason);
		return -EINVAL;
	}
	for (i = 1; i < argc; i += 2) {
		k = ARGS_FIND(argv[i], keywords);
		if (k < 0) {
			snprintf(why, whylen,
				 "unknown keyword \"%s\", expected mode or identity",
				 argv[i]);
			return -EINVAL;
		}
		if (given[k]) {
			snprintf(why, whylen, "%s given twice",
				 keywords[k].name);
			return -EINVAL;
		}
		if (i + 1 >= argc) {
			snprintf(why, whylen, "missing %s after \"%s\"",
				 keywords[k].value, keywords[k].name);
			return -EINVAL;
		}
		given[k] = true;
		switch (k) {
		case KW_MODE:
			if (dest_mode_parse(argv[i + 1], &d->mode, reason,
					    sizeof(reason))) {
				snprintf(why, whylen,
					 "invalid mode \"%s\": %s",
					 argv[i + 1], reason);
				return -EINVAL;
			}
			break;
		case KW_IDENTITY:
			if (spiffe_id_check(argv[i + 1], &bad)) {
				snprintf(why, whylen,
					 "invalid identity \"%s\": %s",
					 argv[i + 1], bad);
				return -EINVAL;
			}
			d->identity = argv[i + 1];
			break;
		}
	}
	return 0;
}

bool dest_put(struct nlmsghdr *nlh, const struct kmtls_dest *d)
{
	if (!mnl_attr_put_check(nlh, KMTLS_NL_TX_SIZE, KMTLS_A_DEST_ADDR,
				addr_bytes(d->family), d->addr) ||
	    !mnl_attr_put_u8_check(nlh, KMTLS_NL_TX_SIZE,
				   KMTLS_A_DEST_PREFIX_LEN, d->prefix_len) ||
	    !mnl_attr_put_u16_check(nlh, KMTLS_NL_TX_SIZE,
				    KMTLS_A_DEST_PORT_MIN, d->port_min) ||
	    !mnl_attr_put_u16_check(nlh, KMTLS_NL_TX_SIZE,
				    KMTLS_A_DEST_PORT_MAX, d->port_max))
		return false;
	if (d->mode &&
	    !mnl_attr_put_u8_check(nlh, KMTLS_NL_TX_SIZE, KMTLS_A_DEST_MODE,
				   d->mode))
		return false;
	if (d->identity &&
	    !mnl_attr_put_strz_check(nlh, KMTLS_NL_TX_SIZE,
				     KMTLS_A_DEST_IDENTITY, d->identity))
		return false;
	return true;
}

/* ---- replies ----------------------------------------------------------- */

static const struct kmtls_nl_policy dest_policy[KMTLS_A_DEST_MAX + 1] = {
	[KMTLS_A_DEST_ADDR] = { KMTLS_NL_BINARY, true, "addr" },
	[KMTLS_A_DEST_PREFIX_LEN] = { KMTLS_NL_U8, true, "prefix-len" },
	[KMTLS_A_DEST_PORT_MIN] = { KMTLS_NL_U16, true, "port-min" },
	[KMTLS_A_DEST_PORT_MAX] = { KMTLS_NL_U16, true, "port-max" },
	/* Optional: a module from before destination modes sends neither. */
	[KMTLS_A_DEST_MODE] = { KMTLS_NL_U8, false, "mode" },
	[KMTLS_A_DEST_IDENTITY] = { KMTLS_NL_STRING, false, "identity" },
};

void dest_list_free(struct kmtls_dest_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i].identity);
	free(l->v);
	*l = (struct kmtls_dest_list){ 0 };
}

static int dest_cb(const struct nlmsghdr *nlh, const struct nlattr *const *tb,
		   void *data, struct kmtls_nl_err *err)
{
	struct kmtls_dest_list *l = data;
	struct kmtls_dest d = { 0 };
	uint16_t alen;
	char why[128];

	(void)nlh;
	alen = mnl_attr_get_payload_len(tb[KMTLS_A_DEST_ADDR]);
	if (alen != 4 && alen != 16)
		return kmtls_nl_seterr(err, -EBADMSG,
				       "malformed reply: attribute addr has %u bytes",
				       alen);
	d.family = alen == 4 ? AF_INET : AF_INET6;
	memcpy(d.addr, mnl_attr_get_payload(tb[KMTLS_A_DEST_ADDR]), alen);
	d.prefix_len = mnl_attr_get_u8(tb[KMTLS_A_DEST_PREFIX_LEN]);
	d.port_min = mnl_attr_get_u16(tb[KMTLS_A_DEST_PORT_MIN]);
	d.port_max = mnl_attr_get_u16(tb[KMTLS_A_DEST_PORT_MAX]);
	if (dest_check(&d, why, sizeof(why)))
		return kmtls_nl_seterr(err, -EBADMSG,
				       "malformed reply: destination: %s", why);
	if (tb[KMTLS_A_DEST_MODE]) {
		d.mode = mnl_attr_get_u8(tb[KMTLS_A_DEST_MODE]);
		if (d.mode == 0)
			return kmtls_nl_seterr(err, -EBADMSG,
					       "malformed reply: destination mode 0");
	}

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		void *v = realloc(l->v, cap * sizeof(*l->v));

		if (!v)
			return kmtls_nl_seterr(err, -ENOMEM, "out of memory");
		l->v = v;
		l->cap = cap;
	}
	if (tb[KMTLS_A_DEST_IDENTITY]) {
		d.identity = strdup(mnl_attr_get_str(tb[KMTLS_A_DEST_IDENTITY]));
		if (!d.identity)
			return kmtls_nl_seterr(err, -ENOMEM, "out of memory");
	}
	l->v[l->n++] = d;
	return 0;
}

/* tb: KMTLS_A_DEST_MAX + 1 entries, owned by the caller. */
void dest_reply_init(struct kmtls_nl_reply *reply, const struct nlattr **tb,
		     struct kmtls_dest_list *l)
{
	*reply = (struct kmtls_nl_reply){
		.policy = dest_policy,
		.maxtype = KMTLS_A_DEST_MAX,
		.tb = tb,
		.cb = dest_cb,
		.data = l,
	};
}

/* Text: the DEST form, then mode and identity; JSON: DEST's parts, keyed
 * as in the spec, then mode and identity.  A mode this program does not
 * know is printed as its number ("mode 7"; a JSON number). */
int dest_print(FILE *f, const struct kmtls_opts *opts,
	       const struct kmtls_dest_list *l)
{
	char s[DEST_STRLEN], a[INET6_ADDRSTRLEN];
	const struct kmtls_dest *d;
	struct out o;
	size_t i;

	out_list_init(&o, f, opts);
	out_begin(&o);
	for (i = 0; i < l->n; i++) {
		d = &l->v[i];
		dest_format(d, s, sizeof(s));
		if (!inet_ntop(d->family, d->addr, a, sizeof(a)))
			snprintf(a, sizeof(a), "?");
		out_item_begin(&o);
		out_text(&o, s);
		out_json_str(&o, "addr", a);
		out_json_u64(&o, "prefix-len", d->prefix_len);
		out_json_u64(&o, "port-min", d->port_min);
		out_json_u64(&o, "port-max", d->port_max);
		if (d->mode && dest_mode_name(d->mode))
			out_str(&o, "mode", NULL, dest_mode_name(d->mode));
		else if (d->mode)
			out_u64(&o, "mode", NULL, d->mode, NULL);
		if (d->identity)
			out_str(&o, "identity", NULL, d->identity);
		out_item_end(&o);
	}
	return out_end(&o);
}

/* ---- commands ---------------------------------------------------------- */

static int dest_show(struct kmtls_ctx *ctx, int argc, char **argv)
{
	const struct nlattr *tb[KMTLS_A_DEST_MAX + 1];
	struct kmtls_dest_list l = { 0 };
	struct kmtls_nl_reply reply;
	int ret;

	if (argc > 0)
		return usage_error(ctx, DEST_HINT,
				   "unexpected argument \"%s\"", argv[0]);
	dest_reply_init(&reply, tb, &l);
	ret = nl_dump(ctx, KMTLS_CMD_DEST_GET, &reply);
	if (ret == EXIT_OK)
		ret = print_result(ctx, dest_print(ctx->out, &ctx->opts, &l));
	dest_list_free(&l);
	return ret;
}

static int dest_change(struct kmtls_ctx *ctx, int argc, char **argv,
		       uint8_t cmd)
{
	struct kmtls_dest d;
	struct kmtls_nl *nl;
	struct nlmsghdr *nlh;
	char why[512];
	int k, ret;

	if (argc == 0)
		return usage_error(ctx, DEST_HINT, "missing DEST");
	if (strcmp(argv[0], "help") == 0) {
		help_dest(ctx->out);
		return EXIT_OK;
	}
	/* del: DEST alone; a mode or an identity would not narrow it. */
	if (cmd == KMTLS_CMD_DEST_DEL && argc > 1) {
		k = ARGS_FIND(argv[1], keywords);
		if (k >= 0)
			return usage_error(ctx, DEST_HINT,
					   "dest del takes no %s: it removes the destination with this prefix and port range, whatever its mode and identity",
					   keywords[k].name);
		return usage_error(ctx, DEST_HINT,
				   "unexpected argument \"%s\"", argv[1]);
	}
	if (dest_parse_args(argc, argv, &d, why, sizeof(why)))
		return usage_error(ctx, DEST_HINT, "%s", why);

	ret = nl_open(ctx, &nl);
	if (ret)
		return ret;
	nlh = kmtls_nl_msg_start(nl, cmd, 0);
	if (!dest_put(nlh, &d)) {
		kmtls_nl_close(nl);
		fputs("Error: request too large\n", ctx->err);
		return EXIT_FAIL;
	}
	return nl_change(ctx, nl, nlh);
}

static int dest_add(struct kmtls_ctx *ctx, int argc, char **argv)
{
	return dest_change(ctx, argc, argv, KMTLS_CMD_DEST_ADD);
}

static int dest_del(struct kmtls_ctx *ctx, int argc, char **argv)
{
	return dest_change(ctx, argc, argv, KMTLS_CMD_DEST_DEL);
}

static int dest_help(struct kmtls_ctx *ctx, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	help_dest(ctx->out);
	return EXIT_OK;
}

static const struct kmtls_cmd dest_cmds[] = {
	{ "show", dest_show },
	{ "list", dest_show },
	{ "add", dest_add },
	{ "del", dest_del },
	{ "help", dest_help },
};

int cmd_dest(struct kmtls_ctx *ctx, int argc, char **argv)
{
	return kmtls_dispatch(ctx, dest_cmds, ARRAY_SIZE(dest_cmds),
			      &dest_cmds[0], "command", DEST_HINT, argc, argv);
}
