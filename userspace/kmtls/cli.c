// SPDX-License-Identifier: GPL-2.0
/*
 * CLI plumbing shared by every object: keyword dispatch and the way
 * errors are reported (usage errors exit 2, kernel and system errors 1).
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "kmtls.h"

int usage_error(struct kmtls_ctx *ctx, const char *hint, const char *fmt, ...)
{
	va_list ap;

	fputs("kmtls: ", ctx->err);
	va_start(ap, fmt);
	vfprintf(ctx->err, fmt, ap);
	va_end(ap);
	fprintf(ctx->err, "\nTry \"%s\".\n", hint);
	return EXIT_USAGE;
}

int kmtls_dispatch(struct kmtls_ctx *ctx, const struct kmtls_cmd *table,
		   size_t n, const struct kmtls_cmd *dflt, const char *what,
		   const char *hint, int argc, char **argv)
{
	const char *sep = "";
	size_t i;
	int k;

	if (argc == 0) {
		if (dflt)
			return dflt->run(ctx, 0, argv);
		return usage_error(ctx, hint, "missing %s", what);
	}
	k = args_find(argv[0], table, n, sizeof(*table));
	if (k >= 0)
		return table[k].run(ctx, argc - 1, argv + 1);
	if (k == ARGS_UNKNOWN)
		return usage_error(ctx, hint, "unknown %s \"%s\"", what,
				   argv[0]);

	fprintf(ctx->err, "kmtls: ambiguous %s \"%s\": could be", what,
		argv[0]);
	for (i = 0; i < n; i++) {
		if (!args_is_prefix(argv[0], table[i].name))
			continue;
		fprintf(ctx->err, "%s %s", sep, table[i].name);
		sep = ",";
	}
	fprintf(ctx->err, "\nTry \"%s\".\n", hint);
	return EXIT_USAGE;
}

int nl_error(struct kmtls_ctx *ctx, const struct kmtls_nl_err *err)
{
	int e = err->err ? -err->err : EIO;

	if (err->msg[0])
		fprintf(ctx->err, "Error: %s", err->msg);
	else
		fprintf(ctx->err, "Error: %s", strerror(e));
	if (!err->msg[0] && err->has_bad_attr && err->bad_attr_type)
		fprintf(ctx->err, " (attribute %u)", err->bad_attr_type);
	if (!err->kernel_msg && e == EPERM)
		fputs(" (CAP_NET_ADMIN needed)", ctx->err);
	fputc('\n', ctx->err);
	return EXIT_FAIL;
}

void nl_warning(struct kmtls_ctx *ctx, const struct kmtls_nl_err *err)
{
	if (err->err == 0 && err->kernel_msg && err->msg[0])
		fprintf(ctx->err, "Warning: %s\n", err->msg);
}

int nl_change(struct kmtls_ctx *ctx, struct kmtls_nl *nl, struct nlmsghdr *nlh)
{
	return nl_change_reply(ctx, nl, nlh, NULL);
}

int nl_change_reply(struct kmtls_ctx *ctx, struct kmtls_nl *nl,
		    struct nlmsghdr *nlh, const struct kmtls_nl_reply *reply)
{
	struct kmtls_nl_err err;
	int ret;

	ret = kmtls_nl_request(nl, nlh, reply, &err);
	kmtls_nl_close(nl);
	if (ret)
		return nl_error(ctx, &err);
	nl_warning(ctx, &err);
	return EXIT_OK;
}

int nl_dump(struct kmtls_ctx *ctx, uint8_t cmd,
	    const struct kmtls_nl_reply *reply)
{
	struct kmtls_nl_err err;
	struct kmtls_nl *nl;
	struct nlmsghdr *nlh;
	int ret;

	ret = nl_open(ctx, &nl);
	if (ret)
		return ret;
	nlh = kmtls_nl_msg_start(nl, cmd, NLM_F_DUMP);
	ret = kmtls_nl_request(nl, nlh, reply, &err);
	kmtls_nl_close(nl);
	if (ret)
		return nl_error(ctx, &err);
	nl_warning(ctx, &err);
	return EXIT_OK;
}

int nl_open(struct kmtls_ctx *ctx, struct kmtls_nl **nlp)
{
	struct kmtls_nl_err err;
	int ret;

	ret = kmtls_nl_open(nlp, &err);
	if (ret == -ENOENT) {
		fputs("Error: kmtls module not loaded (modprobe kmtls)\n",
		      ctx->err);
		return EXIT_FAIL;
	}
	if (ret)
		return nl_error(ctx, &err);
	return EXIT_OK;
}

int print_result(struct kmtls_ctx *ctx, int ret)
{
	if (ret == 0)
		return EXIT_OK;
	if (errno)
		fprintf(ctx->err, "kmtls: write error: %s\n", strerror(errno));
	else
		fputs("kmtls: write error\n", ctx->err);
	return EXIT_FAIL;
}
