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
};

static struct genl_family kmtls_genl_family;

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
	struct nlattr *attr = info->attrs[KMTLS_A_CONFIG_HANDSHAKE_TIMEOUT_MS];
	int ret;

	if (!attr) {
		GENL_SET_ERR_MSG(info, "no setting given");
		return -EINVAL;
	}

	ret = kmtls_config_set_handshake_timeout(nla_get_u32(attr));
	if (ret) {
		NL_SET_ERR_MSG_ATTR(info->extack, attr,
				    "handshake timeout out of range");
		return ret;
	}

	atomic64_inc(&kmtls_stats.config_changes);
	return 0;
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
};

static struct genl_family kmtls_genl_family __ro_after_init = {
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
