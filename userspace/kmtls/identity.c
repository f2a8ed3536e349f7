// SPDX-License-Identifier: GPL-2.0
/*
 * The identity object: cgroups (and their subtrees) mapped to SPIFFE IDs.
 *
 *	kmtls identity add cgroup PATH SPIFFE-ID
 *	kmtls identity del cgroup PATH
 *	kmtls identity [ show | list ]
 *
 * "identity show" prints each identity in the form "identity add" takes
 * after the command ("cgroup /workloads/web spiffe://prod.example/ns/web");
 * the cgroup id is only in the JSON output.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/kmtls.h>

#include "kmtls.h"
#include "out.h"

#define IDENTITY_HINT	"kmtls identity help"

/* The SPIFFE ID specification's limit, which the kernel applies too. */
#define SPIFFE_TRUST_DOMAIN_MAX	255

#define STR(x)	#x
#define XSTR(x)	STR(x)

/* ---- SPIFFE IDs -------------------------------------------------------- */

static bool is_upper(char c)
{
	return c >= 'A' && c <= 'Z';
}

/*
 * What each byte may be part of: a trust domain (a-z, 0-9, ".", "-", "_")
 * and a path segment (the same and A-Z).  A table, one lookup a byte:
 * "policy restore" checks 200,000 patterns, in QEMU/TCG guests too.
 */
#define IN_TD	0x1
#define IN_PATH	0x2

static const unsigned char id_class[256] = {
	['a' ... 'z'] = IN_TD | IN_PATH,
	['0' ... '9'] = IN_TD | IN_PATH,
	['.'] = IN_TD | IN_PATH,
	['-'] = IN_TD | IN_PATH,
	['_'] = IN_TD | IN_PATH,
	['A' ... 'Z'] = IN_PATH,
};

int spiffe_id_check(const char *s, const char **why)
{
	static const char scheme[] = "spiffe://";
	const char *p, *seg;
	size_t n;

	if (strlen(s) > KMTLS_SPIFFE_ID_MAX_LEN) {
		*why = "longer than " XSTR(KMTLS_SPIFFE_ID_MAX_LEN) " bytes";
		return -EINVAL;
	}
	if (strncmp(s, scheme, strlen(scheme)) != 0) {
		*why = "it must start with \"spiffe://\"";
		return -EINVAL;
	}
	for (p = seg = s + strlen(scheme); *p && *p != '/'; p++) {
		if (id_class[(unsigned char)*p] & IN_TD)
			continue;
		if (is_upper(*p))
			*why = "the trust domain must be lower case";
		else if (*p == ':')
			*why = "a port is not allowed";
		else if (*p == '@')
			*why = "userinfo is not allowed";
		else if (*p == '?' || *p == '#')
			*why = "a query or fragment is not allowed";
		else
			*why = "the trust domain may only hold a-z, 0-9, \".\", \"-\" and \"_\"";
		return -EINVAL;
	}
	if (p == seg) {
		*why = "the trust domain is empty";
		return -EINVAL;
	}
	if (p - seg > SPIFFE_TRUST_DOMAIN_MAX) {
		*why = "the trust domain is longer than "
		       XSTR(SPIFFE_TRUST_DOMAIN_MAX) " characters";
		return -EINVAL;
	}
	if (!*p) {
		*why = "a path is needed (spiffe://TRUST-DOMAIN/PATH)";
		return -EINVAL;
	}
	while (*p == '/') {
		for (seg = ++p; *p && *p != '/'; p++) {
			if (id_class[(unsigned char)*p] & IN_PATH)
				continue;
			if (*p == '?' || *p == '#')
				*why = "a query or fragment is not allowed";
			else
				*why = "the path may only hold A-Z, a-z, 0-9, \".\", \"-\" and \"_\" between slashes";
			return -EINVAL;
		}
		n = (size_t)(p - seg);
		if (n == 0) {
			*why = "the path has an empty segment (\"//\" or a trailing \"/\")";
			return -EINVAL;
		}
		if ((n == 1 && seg[0] == '.') ||
		    (n == 2 && seg[0] == '.' && seg[1] == '.')) {
			*why = "\".\" and \"..\" path segments are not allowed";
			return -EINVAL;
		}
	}
	return 0;
}

/* ---- replies ----------------------------------------------------------- */

static const struct kmtls_nl_policy identity_policy[KMTLS_A_IDENTITY_MAX + 1] = {
	[KMTLS_A_IDENTITY_CGROUP] = { KMTLS_NL_STRING, true, "cgroup" },
	[KMTLS_A_IDENTITY_SPIFFE_ID] = { KMTLS_NL_STRING, true, "spiffe-id" },
	[KMTLS_A_IDENTITY_CGROUP_ID] = { KMTLS_NL_U64, true, "cgroup-id" },
	[KMTLS_A_IDENTITY_PAD] = { KMTLS_NL_PAD, false, "pad" },
};

void identity_list_free(struct kmtls_identity_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].cgroup);
		free(l->v[i].spiffe_id);
	}
	free(l->v);
	*l = (struct kmtls_identity_list){ 0 };
}

static int identity_cb(const struct nlmsghdr *nlh,
		       const struct nlattr *const *tb, void *data,
		       struct kmtls_nl_err *err)
{
	struct kmtls_identity_list *l = data;
	struct kmtls_identity *id;

	(void)nlh;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		void *v = realloc(l->v, cap * sizeof(*l->v));

		if (!v)
			return kmtls_nl_seterr(err, -ENOMEM, "out of memory");
		l->v = v;
		l->cap = cap;
	}
	id = &l->v[l->n];
	id->cgroup = strdup(mnl_attr_get_str(tb[KMTLS_A_IDENTITY_CGROUP]));
	id->spiffe_id =
		strdup(mnl_attr_get_str(tb[KMTLS_A_IDENTITY_SPIFFE_ID]));
	id->cgroup_id = mnl_attr_get_u64(tb[KMTLS_A_IDENTITY_CGROUP_ID]);
	if (!id->cgroup || !id->spiffe_id) {
		free(id->cgroup);
		free(id->spiffe_id);
		return kmtls_nl_seterr(err, -ENOMEM, "out of memory");
	}
	l->n++;
	return 0;
}

/* tb: KMTLS_A_IDENTITY_MAX + 1 entries, owned by the caller. */
void identity_reply_init(struct kmtls_nl_reply *reply,
			 const struct nlattr **tb,
			 struct kmtls_identity_list *l)
{
	*reply = (struct kmtls_nl_reply){
		.policy = identity_policy,
		.maxtype = KMTLS_A_IDENTITY_MAX,
		.tb = tb,
		.cb = identity_cb,
		.data = l,
	};
}

bool identity_put(struct nlmsghdr *nlh, const char *cgroup,
		  const char *spiffe_id)
{
	if (!mnl_attr_put_strz_check(nlh, KMTLS_NL_TX_SIZE,
				     KMTLS_A_IDENTITY_CGROUP, cgroup))
		return false;
	return !spiffe_id ||
	       mnl_attr_put_strz_check(nlh, KMTLS_NL_TX_SIZE,
				       KMTLS_A_IDENTITY_SPIFFE_ID, spiffe_id);
}

int identity_print(FILE *f, const struct kmtls_opts *opts,
		   const struct kmtls_identity_list *l)
{
	struct out o;
	size_t i;

	out_list_init(&o, f, opts);
	out_begin(&o);
	for (i = 0; i < l->n; i++) {
		out_item_begin(&o);
		out_str(&o, "cgroup", NULL, l->v[i].cgroup);
		out_str(&o, "spiffe-id", "", l->v[i].spiffe_id);
		out_json_u64(&o, "cgroup-id", l->v[i].cgroup_id);
		out_item_end(&o);
	}
	return out_end(&o);
}

/* ---- commands ---------------------------------------------------------- */

static int identity_show(struct kmtls_ctx *ctx, int argc, char **argv)
{
	const struct nlattr *tb[KMTLS_A_IDENTITY_MAX + 1];
	struct kmtls_identity_list l = { 0 };
	struct kmtls_nl_reply reply;
	int ret;

	if (argc > 0)
		return usage_error(ctx, IDENTITY_HINT,
				   "unexpected argument \"%s\"", argv[0]);
	identity_reply_init(&reply, tb, &l);
	ret = nl_dump(ctx, KMTLS_CMD_IDENTITY_GET, &reply);
	if (ret == EXIT_OK)
		ret = print_result(ctx, identity_print(ctx->out, &ctx->opts, &l));
	identity_list_free(&l);
	return ret;
}

/* The ways to name what gets an identity; only cgroups so far. */
static const struct { const char *name; } selectors[] = {
	{ "cgroup" },
};

/*
 * "cgroup PATH" at argv[0..1] into path (KMTLS_CGROUP_PATH_MAX_LEN + 1
 * bytes); EXIT_OK or a usage error.
 */
static int parse_cgroup(struct kmtls_ctx *ctx, int argc, char **argv,
			char *path, size_t pathlen)
{
	char why[512];
	FILE *mi;
	int k, ret;

	if (argc == 0)
		return usage_error(ctx, IDENTITY_HINT,
				   "missing \"cgroup PATH\"");
	k = ARGS_FIND(argv[0], selectors);
	if (k < 0)
		return usage_error(ctx, IDENTITY_HINT,
				   "unknown keyword \"%s\", expected \"cgroup\"",
				   argv[0]);
	if (argc < 2)
		return usage_error(ctx, IDENTITY_HINT,
				   "missing cgroup PATH");
	mi = fopen(CGROUP_MOUNTINFO, "re");
	ret = cgroup_path_resolve(argv[1], mi, path, pathlen, why,
				  sizeof(why));
	if (mi)
		fclose(mi);
	if (ret)
		return usage_error(ctx, IDENTITY_HINT,
				   "invalid cgroup path \"%s\": %s", argv[1],
				   why);
	return EXIT_OK;
}

/* add (spiffe_id wanted) or del. */
static int identity_change(struct kmtls_ctx *ctx, int argc, char **argv,
			   uint8_t cmd)
{
	char path[KMTLS_CGROUP_PATH_MAX_LEN + 1];
	const char *spiffe_id = NULL, *why;
	int nargs = cmd == KMTLS_CMD_IDENTITY_ADD ? 3 : 2;
	struct kmtls_nl *nl;
	struct nlmsghdr *nlh;
	int ret;

	/* Not a prefix: "c" would be cgroup's too. */
	if (argc > 0 && strcmp(argv[0], "help") == 0) {
		help_identity(ctx->out);
		return EXIT_OK;
	}
	ret = parse_cgroup(ctx, argc, argv, path, sizeof(path));
	if (ret)
		return ret;
	if (cmd == KMTLS_CMD_IDENTITY_ADD) {
		if (argc < 3)
			return usage_error(ctx, IDENTITY_HINT,
					   "missing SPIFFE-ID");
		spiffe_id = argv[2];
		if (spiffe_id_check(spiffe_id, &why))
			return usage_error(ctx, IDENTITY_HINT,
					   "invalid SPIFFE ID \"%s\": %s",
					   spiffe_id, why);
	}
	if (argc > nargs)
		return usage_error(ctx, IDENTITY_HINT,
				   "unexpected argument \"%s\"", argv[nargs]);

	ret = nl_open(ctx, &nl);
	if (ret)
		return ret;
	nlh = kmtls_nl_msg_start(nl, cmd, 0);
	if (!identity_put(nlh, path, spiffe_id)) {
		kmtls_nl_close(nl);
		fputs("Error: cgroup path and SPIFFE ID too long together for one request\n",
		      ctx->err);
		return EXIT_FAIL;
	}
	return nl_change(ctx, nl, nlh);
}

static int identity_add(struct kmtls_ctx *ctx, int argc, char **argv)
{
	return identity_change(ctx, argc, argv, KMTLS_CMD_IDENTITY_ADD);
}

static int identity_del(struct kmtls_ctx *ctx, int argc, char **argv)
{
	return identity_change(ctx, argc, argv, KMTLS_CMD_IDENTITY_DEL);
}

static int identity_help(struct kmtls_ctx *ctx, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	help_identity(ctx->out);
	return EXIT_OK;
}

static const struct kmtls_cmd identity_cmds[] = {
	{ "show", identity_show },
	{ "list", identity_show },
	{ "add", identity_add },
	{ "del", identity_del },
	{ "help", identity_help },
};

int cmd_identity(struct kmtls_ctx *ctx, int argc, char **argv)
{
	return kmtls_dispatch(ctx, identity_cmds, ARRAY_SIZE(identity_cmds),
			      &identity_cmds[0], "command", IDENTITY_HINT,
			      argc, argv);
}
