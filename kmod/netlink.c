// SPDX-License-Identifier: GPL-2.0
/*
 * The kmtls generic netlink family.
 *
 * netlink/kmtls.yaml is the source of truth for everything here: commands,
 * attributes, their types and ranges.  scripts/spec-check compares this
 * file's policies with the spec.
 *
 * The family exists in the initial network namespace only (netnsok is
 * false): one configuration covers the node.  Every command at or after
 * resv_start_op gets strict validation, so an attribute a command does not
 * know is an error, not something silently ignored.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/tls.h>
#include <net/genetlink.h>
#include <linux/kmtls.h>

#include "kmtls.h"

static struct netlink_range_validation kmtls_handshake_timeout_range = {
	.min = KMTLS_HANDSHAKE_TIMEOUT_MIN_MS,
	.max = KMTLS_HANDSHAKE_TIMEOUT_MAX_MS,
};

static const struct nla_policy kmtls_config_policy[KMTLS_A_CONFIG_MAX + 1] = {
	[KMTLS_A_CONFIG_HANDSHAKE_TIMEOUT_MS] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &kmtls_handshake_timeout_range),
	[KMTLS_A_CONFIG_POLICY_DEFAULT] = NLA_POLICY_RANGE(NLA_U8, 1, 3),
};

static struct netlink_range_validation kmtls_repeat_range = {
	.min = 1,
	.max = KMTLS_POLICY_CHECK_REPEAT_MAX,
};

static const struct nla_policy kmtls_policy_policy[KMTLS_A_POLICY_MAX + 1] = {
	[KMTLS_A_POLICY_SRC] = { .type = NLA_NUL_STRING,
				 .len = KMTLS_SPIFFE_ID_MAX_LEN },
	[KMTLS_A_POLICY_DST] = { .type = NLA_NUL_STRING,
				 .len = KMTLS_SPIFFE_ID_MAX_LEN },
	[KMTLS_A_POLICY_PORT_MIN] = NLA_POLICY_MIN(NLA_U16, 1),
	[KMTLS_A_POLICY_PORT_MAX] = NLA_POLICY_MIN(NLA_U16, 1),
	[KMTLS_A_POLICY_ACTION] = NLA_POLICY_RANGE(NLA_U8, 1, 3),
	[KMTLS_A_POLICY_STAGE] = { .type = NLA_FLAG },
	[KMTLS_A_POLICY_KEEP] = { .type = NLA_FLAG },
	[KMTLS_A_POLICY_RULES] = { .type = NLA_U32 },
	[KMTLS_A_POLICY_RULE] = { .type = NLA_NESTED,
				  .nested_policy = kmtls_policy_policy,
				  .len = KMTLS_A_POLICY_MAX },
	[KMTLS_A_POLICY_PORT] = NLA_POLICY_MIN(NLA_U16, 1),
	[KMTLS_A_POLICY_REPEAT] = NLA_POLICY_FULL_RANGE(NLA_U32,
							&kmtls_repeat_range),
};

static const struct nla_policy kmtls_identity_policy[KMTLS_A_IDENTITY_MAX + 1] = {
	[KMTLS_A_IDENTITY_CGROUP] = { .type = NLA_NUL_STRING,
				      .len = KMTLS_CGROUP_PATH_MAX_LEN },
	[KMTLS_A_IDENTITY_SPIFFE_ID] = { .type = NLA_NUL_STRING,
					 .len = KMTLS_SPIFFE_ID_MAX_LEN },
};

static const struct nla_policy kmtls_dest_policy[KMTLS_A_DEST_MAX + 1] = {
	[KMTLS_A_DEST_ADDR] = NLA_POLICY_RANGE(NLA_BINARY, 4, 16),
	[KMTLS_A_DEST_PREFIX_LEN] = NLA_POLICY_MAX(NLA_U8, 128),
	[KMTLS_A_DEST_PORT_MIN] = NLA_POLICY_MIN(NLA_U16, 1),
	[KMTLS_A_DEST_PORT_MAX] = NLA_POLICY_MIN(NLA_U16, 1),
	[KMTLS_A_DEST_MODE] = NLA_POLICY_RANGE(NLA_U8, 1, 3),
	[KMTLS_A_DEST_IDENTITY] = { .type = NLA_NUL_STRING,
				    .len = KMTLS_SPIFFE_ID_MAX_LEN },
};

static struct netlink_range_validation kmtls_data_range = {
	.min = 1,
	.max = KMTLS_HANDSHAKE_DATA_MAX_LEN,
};

static const struct nla_policy kmtls_flow_policy[KMTLS_A_FLOW_MAX + 1] = {
	[KMTLS_A_FLOW_ID] = { .type = NLA_U64 },
	[KMTLS_A_FLOW_PEER_ID] = { .type = NLA_NUL_STRING,
				   .len = KMTLS_SPIFFE_ID_MAX_LEN },
	[KMTLS_A_FLOW_DATA] = NLA_POLICY_FULL_RANGE(NLA_BINARY,
						    &kmtls_data_range),
	[KMTLS_A_FLOW_STATUS] = { .type = NLA_U32 },
	[KMTLS_A_FLOW_CIPHER] = { .type = NLA_U16 },
	[KMTLS_A_FLOW_TX_KEY] = NLA_POLICY_RANGE(NLA_BINARY, 16,
						 KMTLS_KEY_MAX_LEN),
	[KMTLS_A_FLOW_TX_IV] = NLA_POLICY_RANGE(NLA_BINARY, KMTLS_IV_LEN,
						KMTLS_IV_LEN),
	[KMTLS_A_FLOW_RX_KEY] = NLA_POLICY_RANGE(NLA_BINARY, 16,
						 KMTLS_KEY_MAX_LEN),
	[KMTLS_A_FLOW_RX_IV] = NLA_POLICY_RANGE(NLA_BINARY, KMTLS_IV_LEN,
						KMTLS_IV_LEN),
};

static int kmtls_status_fill(struct sk_buff *skb)
{
	struct kmtls_config cfg;

	kmtls_config_get(&cfg);

	if (nla_put_string(skb, KMTLS_A_STATUS_VERSION, KMTLS_VERSION) ||
	    nla_put_u8(skb, KMTLS_A_STATUS_DAEMON_ATTACHED,
		       kmtls_daemon_attached()) ||
	    nla_put_u32(skb, KMTLS_A_STATUS_HANDSHAKE_TIMEOUT_MS,
			cfg.handshake_timeout_ms) ||
	    nla_put_u32(skb, KMTLS_A_STATUS_FLOWS,
			atomic_read(&kmtls_stats.flows)) ||
	    nla_put_u64_64bit(skb, KMTLS_A_STATUS_HANDSHAKES,
			      atomic64_read(&kmtls_stats.handshakes),
			      KMTLS_A_STATUS_PAD) ||
	    nla_put_u64_64bit(skb, KMTLS_A_STATUS_HANDSHAKES_FAILED,
			      atomic64_read(&kmtls_stats.handshakes_failed),
			      KMTLS_A_STATUS_PAD) ||
	    nla_put_u64_64bit(skb, KMTLS_A_STATUS_CONFIG_CHANGES,
			      atomic64_read(&kmtls_stats.config_changes),
			      KMTLS_A_STATUS_PAD) ||
	    nla_put_u64_64bit(skb, KMTLS_A_STATUS_REFUSED_NO_DAEMON,
			      atomic64_read(&kmtls_stats.refused_no_daemon),
			      KMTLS_A_STATUS_PAD) ||
	    nla_put_u8(skb, KMTLS_A_STATUS_POLICY_DEFAULT, cfg.policy_default) ||
	    nla_put_u64_64bit(skb, KMTLS_A_STATUS_POLICY_DENIED,
			      atomic64_read(&kmtls_stats.policy_denied),
			      KMTLS_A_STATUS_PAD) ||
	    nla_put_u64_64bit(skb, KMTLS_A_STATUS_POLICY_WOULD_DENY,
			      atomic64_read(&kmtls_stats.policy_would_deny),
			      KMTLS_A_STATUS_PAD) ||
	    nla_put_u32(skb, KMTLS_A_STATUS_POLICY_RULES, kmtls_policy_rules()) ||
	    nla_put_u64_64bit(skb, KMTLS_A_STATUS_POLICY_RESET,
			      atomic64_read(&kmtls_stats.policy_reset),
			      KMTLS_A_STATUS_PAD) ||
	    nla_put_u64_64bit(skb, KMTLS_A_STATUS_PLAINTEXT_ADMITTED,
			      atomic64_read(&kmtls_stats.plaintext_admitted),
			      KMTLS_A_STATUS_PAD))
		return -EMSGSIZE;
	return 0;
}

static int kmtls_nl_get_status(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg;
	void *hdr;
	int ret;

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;

	ret = -EMSGSIZE;
	hdr = genlmsg_put_reply(msg, info, &kmtls_genl_family, 0,
				KMTLS_CMD_GET_STATUS);
	if (!hdr)
		goto err_free;

	ret = kmtls_status_fill(msg);
	if (ret)
		goto err_free;

	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err_free:
	nlmsg_free(msg);
	return ret;
}

static int kmtls_nl_set_config(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *timeout = info->attrs[KMTLS_A_CONFIG_HANDSHAKE_TIMEOUT_MS];
	struct nlattr *def = info->attrs[KMTLS_A_CONFIG_POLICY_DEFAULT];
	int ret;

	if (!timeout && !def) {
		GENL_SET_ERR_MSG(info, "no setting given");
		return -EINVAL;
	}
	if (timeout) {
		ret = kmtls_config_set_handshake_timeout(nla_get_u32(timeout));
		if (ret) {
			NL_SET_ERR_MSG_ATTR(info->extack, timeout,
					    "handshake timeout out of range");
			return ret;
		}
	}
	if (def) {
		ret = kmtls_config_set_policy_default(nla_get_u8(def));
		if (ret) {
			NL_SET_ERR_MSG_ATTR(info->extack, def,
					    "policy default must be allow, deny or audit");
			return ret;
		}
		kmtls_policy_default_changed();
	}
	atomic64_inc(&kmtls_stats.config_changes);
	return 0;
}

static int kmtls_nl_identity_add(struct sk_buff *skb, struct genl_info *info)
{
	if (GENL_REQ_ATTR_CHECK(info, KMTLS_A_IDENTITY_CGROUP) ||
	    GENL_REQ_ATTR_CHECK(info, KMTLS_A_IDENTITY_SPIFFE_ID)) {
		GENL_SET_ERR_MSG(info, "identity add needs cgroup and spiffe-id");
		return -EINVAL;
	}
	return kmtls_identity_add(nla_data(info->attrs[KMTLS_A_IDENTITY_CGROUP]),
				  nla_data(info->attrs[KMTLS_A_IDENTITY_SPIFFE_ID]),
				  info->extack);
}

static int kmtls_nl_identity_del(struct sk_buff *skb, struct genl_info *info)
{
	if (GENL_REQ_ATTR_CHECK(info, KMTLS_A_IDENTITY_CGROUP)) {
		GENL_SET_ERR_MSG(info, "identity del needs cgroup");
		return -EINVAL;
	}
	return kmtls_identity_del(nla_data(info->attrs[KMTLS_A_IDENTITY_CGROUP]),
				  info->extack);
}

struct kmtls_dump_ctx {
	struct sk_buff *skb;
	struct netlink_callback *cb;
	u8 cmd;
};

static void *kmtls_dump_put(struct kmtls_dump_ctx *ctx)
{
	return genlmsg_put(ctx->skb, NETLINK_CB(ctx->cb->skb).portid,
			   ctx->cb->nlh->nlmsg_seq, &kmtls_genl_family,
			   NLM_F_MULTI, ctx->cmd);
}

static int kmtls_identity_fill(void *arg, const char *path,
			       const char *spiffe_id, u64 cgid)
{
	struct kmtls_dump_ctx *ctx = arg;
	void *hdr = kmtls_dump_put(ctx);

	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_string(ctx->skb, KMTLS_A_IDENTITY_CGROUP, path) ||
	    nla_put_string(ctx->skb, KMTLS_A_IDENTITY_SPIFFE_ID, spiffe_id) ||
	    nla_put_u64_64bit(ctx->skb, KMTLS_A_IDENTITY_CGROUP_ID, cgid,
			      KMTLS_A_IDENTITY_PAD)) {
		genlmsg_cancel(ctx->skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(ctx->skb, hdr);
	return 0;
}

/* A dump that ran out of room ends this message; the next call resumes at
 * cb->args[0].  An entry that cannot fit even an empty message is an error.
 */
static int kmtls_dump_result(struct sk_buff *skb, int ret)
{
	if (ret == -EMSGSIZE && skb->len)
		return skb->len;
	return ret ? ret : skb->len;
}

static int kmtls_nl_identity_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct kmtls_dump_ctx ctx = { skb, cb, KMTLS_CMD_IDENTITY_GET };

	return kmtls_dump_result(skb, kmtls_identity_walk(&cb->args[0],
				 kmtls_identity_fill, &ctx));
}

static int kmtls_nl_dest_add(struct sk_buff *skb, struct genl_info *info)
{
	struct kmtls_dest d;
	int ret = kmtls_dest_parse(info->attrs, &d, info->extack);

	return ret ? ret : kmtls_dest_add(&d, info->extack);
}

static int kmtls_nl_dest_del(struct sk_buff *skb, struct genl_info *info)
{
	struct kmtls_dest d;
	int ret = kmtls_dest_parse(info->attrs, &d, info->extack);

	return ret ? ret : kmtls_dest_del(&d, info->extack);
}

static int kmtls_dest_fill(void *arg, const struct kmtls_dest *d)
{
	struct kmtls_dump_ctx *ctx = arg;
	void *hdr = kmtls_dump_put(ctx);

	if (!hdr)
		return -EMSGSIZE;
	if (nla_put(ctx->skb, KMTLS_A_DEST_ADDR, d->family == AF_INET ? 4 : 16,
		    d->addr) ||
	    nla_put_u8(ctx->skb, KMTLS_A_DEST_PREFIX_LEN, d->prefix_len) ||
	    nla_put_u16(ctx->skb, KMTLS_A_DEST_PORT_MIN, d->port_min) ||
	    nla_put_u16(ctx->skb, KMTLS_A_DEST_PORT_MAX, d->port_max) ||
	    nla_put_u8(ctx->skb, KMTLS_A_DEST_MODE, d->mode) ||
	    (d->identity &&
	     nla_put_string(ctx->skb, KMTLS_A_DEST_IDENTITY, d->identity))) {
		genlmsg_cancel(ctx->skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(ctx->skb, hdr);
	return 0;
}

static int kmtls_nl_dest_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct kmtls_dump_ctx ctx = { skb, cb, KMTLS_CMD_DEST_GET };

	return kmtls_dump_result(skb, kmtls_dest_walk(&cb->args[0],
				 kmtls_dest_fill, &ctx));
}

static int kmtls_nl_daemon_attach(struct sk_buff *skb, struct genl_info *info)
{
	return kmtls_daemon_attach(info->snd_portid, info->extack);
}

/* The flow a daemon message names; only the attached daemon may ask. */
static struct kmtls_flow *kmtls_nl_flow(struct genl_info *info)
{
	struct kmtls_flow *f;

	if (!kmtls_daemon_is(info->snd_portid)) {
		GENL_SET_ERR_MSG(info, "not the attached handshake daemon");
		return ERR_PTR(-EPERM);
	}
	if (GENL_REQ_ATTR_CHECK(info, KMTLS_A_FLOW_ID))
		return ERR_PTR(-EINVAL);
	f = kmtls_flow_get_by_id(nla_get_u64(info->attrs[KMTLS_A_FLOW_ID]));
	if (!f) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[KMTLS_A_FLOW_ID],
				    "no such flow");
		return ERR_PTR(-ENOENT);
	}
	return f;
}

static int kmtls_nl_handshake_send(struct sk_buff *skb, struct genl_info *info)
{
	struct kmtls_flow *f;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, KMTLS_A_FLOW_DATA))
		return -EINVAL;
	f = kmtls_nl_flow(info);
	if (IS_ERR(f))
		return PTR_ERR(f);
	ret = kmtls_flow_send(f, nla_data(info->attrs[KMTLS_A_FLOW_DATA]),
			      nla_len(info->attrs[KMTLS_A_FLOW_DATA]));
	kmtls_flow_put(f);
	if (ret)
		GENL_SET_ERR_MSG(info, "flow is not in its handshake");
	return ret;
}

static int kmtls_nl_handshake_recv(struct sk_buff *skb, struct genl_info *info)
{
	struct kmtls_flow *f = kmtls_nl_flow(info);
	int ret;

	if (IS_ERR(f))
		return PTR_ERR(f);
	ret = kmtls_flow_recv(f);
	kmtls_flow_put(f);
	if (ret)
		GENL_SET_ERR_MSG(info, "flow is not in its handshake");
	return ret;
}

static int kmtls_nl_keys(struct genl_info *info, struct kmtls_keys *k)
{
	struct nlattr **a = info->attrs;
	u32 klen;

	if (GENL_REQ_ATTR_CHECK(info, KMTLS_A_FLOW_PEER_ID) ||
	    GENL_REQ_ATTR_CHECK(info, KMTLS_A_FLOW_CIPHER) ||
	    GENL_REQ_ATTR_CHECK(info, KMTLS_A_FLOW_TX_KEY) ||
	    GENL_REQ_ATTR_CHECK(info, KMTLS_A_FLOW_TX_IV) ||
	    GENL_REQ_ATTR_CHECK(info, KMTLS_A_FLOW_RX_KEY) ||
	    GENL_REQ_ATTR_CHECK(info, KMTLS_A_FLOW_RX_IV))
		return -EINVAL;
	k->cipher = nla_get_u16(a[KMTLS_A_FLOW_CIPHER]);
	switch (k->cipher) {
	case TLS_CIPHER_AES_GCM_128:
		klen = TLS_CIPHER_AES_GCM_128_KEY_SIZE;
		break;
	case TLS_CIPHER_AES_GCM_256:
		klen = TLS_CIPHER_AES_GCM_256_KEY_SIZE;
		break;
	case TLS_CIPHER_CHACHA20_POLY1305:
		klen = TLS_CIPHER_CHACHA20_POLY1305_KEY_SIZE;
		break;
	default:
		NL_SET_ERR_MSG_ATTR(info->extack, a[KMTLS_A_FLOW_CIPHER],
				    "unsupported cipher");
		return -EOPNOTSUPP;
	}
	if (nla_len(a[KMTLS_A_FLOW_TX_KEY]) != klen ||
	    nla_len(a[KMTLS_A_FLOW_RX_KEY]) != klen) {
		GENL_SET_ERR_MSG(info, "key length does not fit the cipher");
		return -EINVAL;
	}
	k->key_len = klen;
	nla_memcpy(k->tx_key, a[KMTLS_A_FLOW_TX_KEY], sizeof(k->tx_key));
	nla_memcpy(k->rx_key, a[KMTLS_A_FLOW_RX_KEY], sizeof(k->rx_key));
	nla_memcpy(k->tx_iv, a[KMTLS_A_FLOW_TX_IV], sizeof(k->tx_iv));
	nla_memcpy(k->rx_iv, a[KMTLS_A_FLOW_RX_IV], sizeof(k->rx_iv));
	return 0;
}

static int kmtls_nl_handshake_done(struct sk_buff *skb, struct genl_info *info)
{
	struct kmtls_keys keys = {};
	struct kmtls_flow *f;
	u32 status;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, KMTLS_A_FLOW_STATUS))
		return -EINVAL;
	status = nla_get_u32(info->attrs[KMTLS_A_FLOW_STATUS]);
	/* 512 and above are the kernel's own (ERESTARTSYS, ...). */
	if (status >= 512) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[KMTLS_A_FLOW_STATUS],
				    "status must be 0 or an errno");
		return -EINVAL;
	}
	if (!status) {
		ret = kmtls_nl_keys(info, &keys);
		if (ret)
			goto out;
	}
	f = kmtls_nl_flow(info);
	if (IS_ERR(f)) {
		ret = PTR_ERR(f);
		goto out;
	}
	ret = kmtls_flow_done(f, status, status ? NULL :
			      nla_data(info->attrs[KMTLS_A_FLOW_PEER_ID]), &keys);
	kmtls_flow_put(f);
	if (ret == -ENOENT)
		GENL_SET_ERR_MSG(info, "flow is not in its handshake");
	else if (ret)
		GENL_SET_ERR_MSG(info, "installing the keys failed; connection reset");
out:
	memzero_explicit(&keys, sizeof(keys));
	return ret;
}

static int kmtls_flow_dump_fill(void *arg, const struct kmtls_flow *f)
{
	struct kmtls_dump_ctx *ctx = arg;
	void *hdr = kmtls_dump_put(ctx);

	if (!hdr)
		return -EMSGSIZE;
	if (kmtls_flow_fill(ctx->skb, f)) {
		genlmsg_cancel(ctx->skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(ctx->skb, hdr);
	return 0;
}

static int kmtls_nl_flow_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct kmtls_dump_ctx ctx = { skb, cb, KMTLS_CMD_FLOW_GET };

	return kmtls_dump_result(skb, kmtls_flow_walk(&cb->args[0],
				 kmtls_flow_dump_fill, &ctx));
}

/* A policy change's reply: what it did to established flows. */
static int kmtls_policy_reply(struct genl_info *info, u8 cmd,
			      const struct kmtls_policy_result *res,
			      bool rules)
{
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &kmtls_genl_family, 0, cmd);
	if (!hdr ||
	    (rules && nla_put_u32(msg, KMTLS_A_POLICY_RULES, res->rules)) ||
	    nla_put_u32(msg, KMTLS_A_POLICY_RESET, res->reset) ||
	    nla_put_u32(msg, KMTLS_A_POLICY_KEPT, res->kept)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

/* A staged policy-add carrying its rules as nested rule attributes. */
static int kmtls_nl_policy_stage_list(struct genl_info *info, u32 hint)
{
	struct nlattr *tb[KMTLS_A_POLICY_MAX + 1];
	struct nlattr **a = info->attrs;
	struct nlattr *nla;
	int rem, ret;

	if (a[KMTLS_A_POLICY_SRC] || a[KMTLS_A_POLICY_DST] ||
	    a[KMTLS_A_POLICY_ACTION] || a[KMTLS_A_POLICY_PORT_MIN] ||
	    a[KMTLS_A_POLICY_PORT_MAX]) {
		GENL_SET_ERR_MSG(info, "give rules either nested or at the top, not both");
		return -EINVAL;
	}
	nlmsg_for_each_attr(nla, info->nlhdr, GENL_HDRLEN, rem) {
		if (nla_type(nla) != KMTLS_A_POLICY_RULE)
			continue;
		ret = nla_parse_nested(tb, KMTLS_A_POLICY_MAX, nla,
				       kmtls_policy_policy, info->extack);
		if (!ret)
			ret = kmtls_policy_add(tb, true, hint, info->snd_portid,
					       false, NULL, info->extack);
		if (ret) {
			/* Point at the rule, if nothing inside it is named. */
			if (info->extack && !info->extack->bad_attr)
				info->extack->bad_attr = nla;
			return ret;
		}
	}
	return 0;
}

static int kmtls_nl_policy_add(struct sk_buff *skb, struct genl_info *info)
{
	struct kmtls_policy_result res = {};
	struct nlattr **a = info->attrs;
	bool keep = nla_get_flag(a[KMTLS_A_POLICY_KEEP]);
	bool stage = nla_get_flag(a[KMTLS_A_POLICY_STAGE]);
	u32 hint = a[KMTLS_A_POLICY_RULES] ?
		   nla_get_u32(a[KMTLS_A_POLICY_RULES]) : 0;
	int ret;

	if (a[KMTLS_A_POLICY_RULE]) {
		if (stage)
			return kmtls_nl_policy_stage_list(info, hint);
		NL_SET_ERR_MSG_ATTR(info->extack, a[KMTLS_A_POLICY_RULE],
				    "nested rules are only for staging");
		return -EINVAL;
	}
	ret = kmtls_policy_add(a, stage, hint, info->snd_portid, keep, &res,
			       info->extack);
	if (ret || stage)
		return ret;
	return kmtls_policy_reply(info, KMTLS_CMD_POLICY_ADD, &res, false);
}

static int kmtls_nl_policy_del(struct sk_buff *skb, struct genl_info *info)
{
	struct kmtls_policy_result res = {};
	bool keep = nla_get_flag(info->attrs[KMTLS_A_POLICY_KEEP]);
	int ret;

	if (info->attrs[KMTLS_A_POLICY_STAGE]) {
		GENL_SET_ERR_MSG(info, "only policy-add stages");
		return -EINVAL;
	}
	ret = kmtls_policy_del(info->attrs, keep, &res, info->extack);
	return ret ?: kmtls_policy_reply(info, KMTLS_CMD_POLICY_DEL, &res,
					 false);
}

static int kmtls_nl_policy_flush(struct sk_buff *skb, struct genl_info *info)
{
	struct kmtls_policy_result res = {};
	bool keep = nla_get_flag(info->attrs[KMTLS_A_POLICY_KEEP]);
	int ret;

	ret = kmtls_policy_flush(keep, &res);
	return ret ?: kmtls_policy_reply(info, KMTLS_CMD_POLICY_FLUSH, &res,
					 false);
}

static int kmtls_nl_policy_commit(struct sk_buff *skb, struct genl_info *info)
{
	struct kmtls_policy_result res = {};
	bool keep = nla_get_flag(info->attrs[KMTLS_A_POLICY_KEEP]);
	int ret;

	ret = kmtls_policy_commit(info->snd_portid, keep, &res);
	return ret ?: kmtls_policy_reply(info, KMTLS_CMD_POLICY_COMMIT, &res,
					 true);
}

static int kmtls_nl_policy_check(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **a = info->attrs;
	struct sk_buff *msg;
	bool would = false;
	u64 ns = 0;
	void *hdr;
	int v;

	if (!a[KMTLS_A_POLICY_SRC] || !a[KMTLS_A_POLICY_DST] ||
	    !a[KMTLS_A_POLICY_PORT]) {
		GENL_SET_ERR_MSG(info, "policy-check needs src, dst and port");
		return -EINVAL;
	}
	v = kmtls_policy_check(nla_data(a[KMTLS_A_POLICY_SRC]),
			       nla_data(a[KMTLS_A_POLICY_DST]),
			       nla_get_u16(a[KMTLS_A_POLICY_PORT]),
			       a[KMTLS_A_POLICY_REPEAT] ?
			       nla_get_u32(a[KMTLS_A_POLICY_REPEAT]) : 1,
			       &would, &ns, info->extack);
	if (v < 0)
		return v;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &kmtls_genl_family, 0,
				KMTLS_CMD_POLICY_CHECK);
	if (!hdr || nla_put_u8(msg, KMTLS_A_POLICY_ACTION, v) ||
	    nla_put_u8(msg, KMTLS_A_POLICY_WOULD_DENY, would) ||
	    nla_put_u64_64bit(msg, KMTLS_A_POLICY_ELAPSED_NS, ns,
			      KMTLS_A_POLICY_PAD)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static int kmtls_policy_fill(void *arg, const char *src, const char *dst,
			     u16 pmin, u16 pmax, u8 action, u64 hits)
{
	struct kmtls_dump_ctx *ctx = arg;
	void *hdr = kmtls_dump_put(ctx);

	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_string(ctx->skb, KMTLS_A_POLICY_SRC, src) ||
	    nla_put_string(ctx->skb, KMTLS_A_POLICY_DST, dst) ||
	    nla_put_u16(ctx->skb, KMTLS_A_POLICY_PORT_MIN, pmin) ||
	    nla_put_u16(ctx->skb, KMTLS_A_POLICY_PORT_MAX, pmax) ||
	    nla_put_u8(ctx->skb, KMTLS_A_POLICY_ACTION, action) ||
	    nla_put_u64_64bit(ctx->skb, KMTLS_A_POLICY_HITS, hits,
			      KMTLS_A_POLICY_PAD)) {
		genlmsg_cancel(ctx->skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(ctx->skb, hdr);
	return 0;
}

static int kmtls_nl_policy_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct kmtls_dump_ctx ctx = { skb, cb, KMTLS_CMD_POLICY_GET };

	return kmtls_dump_result(skb, kmtls_policy_walk(&cb->args[0],
				 kmtls_policy_fill, &ctx));
}

static const struct genl_ops kmtls_genl_ops[] = {
	{
		.cmd = KMTLS_CMD_GET_STATUS,
		.doit = kmtls_nl_get_status,
	},
	{
		.cmd = KMTLS_CMD_SET_CONFIG,
		.doit = kmtls_nl_set_config,
		.policy = kmtls_config_policy,
		.maxattr = KMTLS_A_CONFIG_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = KMTLS_CMD_IDENTITY_ADD,
		.doit = kmtls_nl_identity_add,
		.policy = kmtls_identity_policy,
		.maxattr = KMTLS_A_IDENTITY_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = KMTLS_CMD_IDENTITY_DEL,
		.doit = kmtls_nl_identity_del,
		.policy = kmtls_identity_policy,
		.maxattr = KMTLS_A_IDENTITY_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = KMTLS_CMD_IDENTITY_GET,
		.dumpit = kmtls_nl_identity_dump,
	},
	{
		.cmd = KMTLS_CMD_DEST_ADD,
		.doit = kmtls_nl_dest_add,
		.policy = kmtls_dest_policy,
		.maxattr = KMTLS_A_DEST_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = KMTLS_CMD_DEST_DEL,
		.doit = kmtls_nl_dest_del,
		.policy = kmtls_dest_policy,
		.maxattr = KMTLS_A_DEST_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = KMTLS_CMD_DEST_GET,
		.dumpit = kmtls_nl_dest_dump,
	},
	{
		.cmd = KMTLS_CMD_DAEMON_ATTACH,
		.doit = kmtls_nl_daemon_attach,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = KMTLS_CMD_HANDSHAKE_SEND,
		.doit = kmtls_nl_handshake_send,
		.policy = kmtls_flow_policy,
		.maxattr = KMTLS_A_FLOW_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = KMTLS_CMD_HANDSHAKE_RECV,
		.doit = kmtls_nl_handshake_recv,
		.policy = kmtls_flow_policy,
		.maxattr = KMTLS_A_FLOW_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = KMTLS_CMD_HANDSHAKE_DONE,
		.doit = kmtls_nl_handshake_done,
		.policy = kmtls_flow_policy,
		.maxattr = KMTLS_A_FLOW_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = KMTLS_CMD_FLOW_GET,
		.dumpit = kmtls_nl_flow_dump,
	},
	{
		.cmd = KMTLS_CMD_POLICY_ADD,
		.doit = kmtls_nl_policy_add,
		.policy = kmtls_policy_policy,
		.maxattr = KMTLS_A_POLICY_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = KMTLS_CMD_POLICY_DEL,
		.doit = kmtls_nl_policy_del,
		.policy = kmtls_policy_policy,
		.maxattr = KMTLS_A_POLICY_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = KMTLS_CMD_POLICY_GET,
		.dumpit = kmtls_nl_policy_dump,
	},
	{
		.cmd = KMTLS_CMD_POLICY_FLUSH,
		.doit = kmtls_nl_policy_flush,
		.policy = kmtls_policy_policy,
		.maxattr = KMTLS_A_POLICY_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = KMTLS_CMD_POLICY_COMMIT,
		.doit = kmtls_nl_policy_commit,
		.policy = kmtls_policy_policy,
		.maxattr = KMTLS_A_POLICY_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = KMTLS_CMD_POLICY_CHECK,
		.doit = kmtls_nl_policy_check,
		.policy = kmtls_policy_policy,
		.maxattr = KMTLS_A_POLICY_MAX,
		.flags = GENL_ADMIN_PERM,
	},
};

struct genl_family kmtls_genl_family __ro_after_init = {
	.name = KMTLS_FAMILY_NAME,
	.version = KMTLS_FAMILY_VERSION,
	.module = THIS_MODULE,
	.netnsok = false,
	.parallel_ops = true,
	.ops = kmtls_genl_ops,
	.n_ops = ARRAY_SIZE(kmtls_genl_ops),
	.resv_start_op = KMTLS_CMD_GET_STATUS,
};

int __init kmtls_netlink_init(void)
{
	return genl_register_family(&kmtls_genl_family);
}

void kmtls_netlink_exit(void)
{
	genl_unregister_family(&kmtls_genl_family);
}
MODULE_ALIAS_GENL_FAMILY(KMTLS_FAMILY_NAME);
