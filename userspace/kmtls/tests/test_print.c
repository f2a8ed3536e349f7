// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: the one print path.  The same status goes out as text, JSON
 * and pretty JSON; config show's text is what config set takes.
 */
#include <linux/kmtls.h>

#include "kmtls.h"
#include "tap.h"

static const struct kmtls_status st = {
	.version = "0.1.0 \"dev\"",
	.daemon_attached = true,
	.handshake_timeout_ms = 10000,
	.flows = 3,
	.handshakes = 1099511627781ULL,
	.handshakes_failed = 2,
	.config_changes = 18446744073709551615ULL,
	.refused_no_daemon = 4,
};

/* What check() prints: st, or this when set. */
static const struct kmtls_status *st_with_policy;

static void check(int (*print)(FILE *, const struct kmtls_opts *,
			       const struct kmtls_status *),
		  struct kmtls_opts opts, const char *want, const char *name)
{
	struct capture c;
	int ret;

	ret = print(capture_start(&c), &opts,
		    st_with_policy ? st_with_policy : &st);
	is_str(capture_end(&c), want, name);
	is_int(ret, 0, "  ... and reports success");
	capture_free(&c);
}

int main(void)
{
	struct kmtls_opts text = { 0 };
	struct kmtls_opts json = { .json = true };
	struct kmtls_opts pretty = { .pretty = true };
	struct kmtls_opts both = { .json = true, .pretty = true };
	FILE *full;

	check(status_print, text,
	      "version: 0.1.0 \"dev\"\n"
	      "daemon attached: yes\n"
	      "handshake timeout: 10000 ms\n"
	      "flows: 3\n"
	      "handshakes: 1099511627781\n"
	      "failed handshakes: 2\n"
	      "config changes: 18446744073709551615\n"
	      "refused, no daemon: 4\n",
	      "status as text");
	check(status_print, json,
	      "{\"version\":\"0.1.0 \\\"dev\\\"\",\"daemon-attached\":true,"
	      "\"handshake-timeout-ms\":10000,\"flows\":3,"
	      "\"handshakes\":1099511627781,\"handshakes-failed\":2,"
	      "\"config-changes\":18446744073709551615,"
	      "\"refused-no-daemon\":4}\n",
	      "status as JSON");
	check(status_print, pretty,
	      "{\n"
	      "  \"version\": \"0.1.0 \\\"dev\\\"\",\n"
	      "  \"daemon-attached\": true,\n"
	      "  \"handshake-timeout-ms\": 10000,\n"
	      "  \"flows\": 3,\n"
	      "  \"handshakes\": 1099511627781,\n"
	      "  \"handshakes-failed\": 2,\n"
	      "  \"config-changes\": 18446744073709551615,\n"
	      "  \"refused-no-daemon\": 4\n"
	      "}\n",
	      "status as pretty JSON (-p alone)");
	check(status_print, both,
	      "{\n"
	      "  \"version\": \"0.1.0 \\\"dev\\\"\",\n"
	      "  \"daemon-attached\": true,\n"
	      "  \"handshake-timeout-ms\": 10000,\n"
	      "  \"flows\": 3,\n"
	      "  \"handshakes\": 1099511627781,\n"
	      "  \"handshakes-failed\": 2,\n"
	      "  \"config-changes\": 18446744073709551615,\n"
	      "  \"refused-no-daemon\": 4\n"
	      "}\n",
	      "status as pretty JSON (-j -p)");

	check(config_print, text, "handshake-timeout 10000\n",
	      "config as text, in config set form");
	check(config_print, json, "{\"handshake-timeout-ms\":10000}\n",
	      "config as JSON");

	{
		struct kmtls_status evil = st;
		struct capture c;

		snprintf(evil.version, sizeof(evil.version),
			 "1.0\x1b[2J\nflows: 999\x7f");
		status_print(capture_start(&c), &text, &evil);
		capture_end(&c);
		is_str(c.buf,
		       "version: 1.0\\033[2J\\012flows: 999\\177\n"
		       "daemon attached: yes\n"
		       "handshake timeout: 10000 ms\n"
		       "flows: 3\n"
		       "handshakes: 1099511627781\n"
		       "failed handshakes: 2\n"
		       "config changes: 18446744073709551615\n"
	      "refused, no daemon: 4\n",
		       "text: control characters in a value escaped as \\ooo");
		capture_free(&c);
		status_print(capture_start(&c), &json, &evil);
		capture_end(&c);
		ok(strstr(c.buf, "\"version\":\"1.0\\u001b[2J\\nflows: 999\\u007f\"") != NULL,
		   "JSON: the same value escaped as JSON");
		capture_free(&c);
	}

	/* A module with the policy: its default and counters. */
	{
		struct kmtls_status pst = st;

		pst.has_policy_default = true;
		pst.policy_default = KMTLS_ACTION_AUDIT;
		pst.has_policy_denied = true;
		pst.policy_denied = 5;
		pst.has_policy_would_deny = true;
		pst.policy_would_deny = 18446744073709551615ULL;
		st_with_policy = &pst;
		check(status_print, text,
		      "version: 0.1.0 \"dev\"\n"
		      "daemon attached: yes\n"
		      "handshake timeout: 10000 ms\n"
		      "flows: 3\n"
		      "handshakes: 1099511627781\n"
		      "failed handshakes: 2\n"
		      "config changes: 18446744073709551615\n"
		      "refused, no daemon: 4\n"
		      "policy default: audit\n"
		      "policy denied: 5\n"
		      "policy would deny: 18446744073709551615\n",
		      "status with the policy as text");
		check(status_print, json,
		      "{\"version\":\"0.1.0 \\\"dev\\\"\",\"daemon-attached\":true,"
		      "\"handshake-timeout-ms\":10000,\"flows\":3,"
		      "\"handshakes\":1099511627781,\"handshakes-failed\":2,"
		      "\"config-changes\":18446744073709551615,"
		      "\"refused-no-daemon\":4,\"policy-default\":\"audit\","
		      "\"policy-denied\":5,"
		      "\"policy-would-deny\":18446744073709551615}\n",
		      "status with the policy as JSON");
		/* Rules, resets and plaintext admissions. */
		pst.has_policy_rules = true;
		pst.policy_rules = 100000;
		pst.has_policy_reset = true;
		pst.policy_reset = 2;
		pst.has_plaintext_admitted = true;
		pst.plaintext_admitted = 7;
		check(status_print, text,
		      "version: 0.1.0 \"dev\"\n"
		      "daemon attached: yes\n"
		      "handshake timeout: 10000 ms\n"
		      "flows: 3\n"
		      "handshakes: 1099511627781\n"
		      "failed handshakes: 2\n"
		      "config changes: 18446744073709551615\n"
		      "refused, no daemon: 4\n"
		      "policy default: audit\n"
		      "policy denied: 5\n"
		      "policy would deny: 18446744073709551615\n"
		      "policy rules: 100000\n"
		      "policy reset: 2\n"
		      "plaintext admitted: 7\n",
		      "status with rules, resets, plaintext as text");
		check(status_print, json,
		      "{\"version\":\"0.1.0 \\\"dev\\\"\",\"daemon-attached\":true,"
		      "\"handshake-timeout-ms\":10000,\"flows\":3,"
		      "\"handshakes\":1099511627781,\"handshakes-failed\":2,"
		      "\"config-changes\":18446744073709551615,"
		      "\"refused-no-daemon\":4,\"policy-default\":\"audit\","
		      "\"policy-denied\":5,"
		      "\"policy-would-deny\":18446744073709551615,"
		      "\"policy-rules\":100000,\"policy-reset\":2,"
		      "\"plaintext-admitted\":7}\n",
		      "status with rules, resets, plaintext as JSON");
		pst.has_policy_rules = false;
		pst.has_policy_reset = false;
		pst.has_plaintext_admitted = false;
		check(config_print, text,
		      "handshake-timeout 10000\npolicy-default audit\n",
		      "config with the policy default as text, in config set form");
		check(config_print, json,
		      "{\"handshake-timeout-ms\":10000,\"policy-default\":\"audit\"}\n",
		      "config with the policy default as JSON");
		pst.policy_default = 9;
		check(config_print, text,
		      "handshake-timeout 10000\npolicy-default 9\n",
		      "an unknown policy default as its number (text)");
		check(config_print, json,
		      "{\"handshake-timeout-ms\":10000,\"policy-default\":9}\n",
		      "an unknown policy default as its number (JSON)");
		st_with_policy = NULL;
	}

	full = fopen("/dev/full", "w");
	if (full) {
		ok(status_print(full, &text, &st) != 0,
		   "write error reported (text)");
		ok(status_print(full, &json, &st) != 0,
		   "write error reported (JSON)");
		fclose(full);
	} else {
		ok(true, "write error reported # SKIP no /dev/full");
		ok(true, "write error reported # SKIP no /dev/full");
	}
	return tap_done();
}
