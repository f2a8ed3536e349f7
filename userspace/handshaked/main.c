// SPDX-License-Identifier: GPL-2.0
/*
 * handshaked: the kmtls handshake daemon.  See handshaked(8).
 *
 * Process model
 *   One process, one thread, one event loop (poll) on two descriptors: the
 *   netlink socket attached to the kmtls module as the handshake daemon,
 *   and a signalfd.  No fork, no thread per connection: every handshake is
 *   a flow in the flow table (flow.c) with its own OpenSSL engine on memory
 *   BIOs (tls.c), driven by kernel events (hs.c, nl.c).  Nothing blocks on
 *   a peer: a record is asked for (RECV) and the engine waits, as data, in
 *   the table until the kernel answers; a slow or dead peer costs one table
 *   entry until the kernel's handshake timeout ends it.
 *
 * Who owns what
 *   - The kernel owns the connections.  The daemon never holds an
 *     application's socket: it sees handshake records and sends back bytes
 *     to write, and, at the end, the peer's SPIFFE ID and the traffic keys.
 *     The kernel owns every timeout that the application can see.
 *   - This process owns its netlink socket (nl.c), the flow table and the
 *     engines in it (hs.c, flow.c; an engine wipes its secrets when freed),
 *     and the SVID store (svid.c: one SSL_CTX per local identity, which
 *     engines reference while they run).
 *   - The only global state is this file's top-level context, the log
 *     verbosity (log.c) and OpenSSL's own.
 *
 * What happens when the daemon dies (crash, kill -9, exit)
 *   The netlink socket closes.  The kernel notices (NETLINK_URELEASE) and
 *   fails every handshake in flight at once: those applications see
 *   ECONNREFUSED or a reset, none is left held, none falls back to clear
 *   text.  Established connections are plain kTLS sockets: the daemon has
 *   no part in them and they carry on.  While no daemon is attached, new
 *   meshed connections are refused (fail closed).  systemd restarts the
 *   daemon (Restart=always), which attaches again; there is no state to
 *   recover.
 *
 * Signals: SIGTERM and SIGINT end the loop (exit 0; the kernel fails the
 * handshakes in flight as above), SIGHUP makes every identity's SVID files
 * load again on next use.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/kmtls.h>

#include "clock.h"
#include "hs.h"
#include "log.h"
#include "nl.h"
#include "svid.h"
#include "tls.h"

#define EXIT_RUNTIME	1
#define EXIT_USAGE	2

/* How often the loop wakes up without events, for the safety timeout. */
#define TICK_MS		1000

struct opts {
	const char *svid_dir;
	const char *ciphersuites;
	bool verbose;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: handshaked [OPTIONS]\n"
		"\n"
		"The kmtls handshake daemon: runs the TLS 1.3 handshakes the kmtls\n"
		"kernel module hands over, verifies the peers' SPIFFE IDs and gives\n"
		"the traffic keys back to the kernel, which installs kernel TLS.\n"
		"Runs in the foreground (for systemd) and logs to stderr.\n"
		"\n"
		"Options:\n"
		"  --svid-dir DIR        the SVID store (default %s):\n"
		"                        DIR/TRUST-DOMAIN/PATH/{svid.pem,svid_key.pem,bundle.pem}\n"
		"  --ciphersuites LIST   TLS 1.3 cipher suites, colon-separated (default\n"
		"                        %s)\n"
		"  -v, --verbose         also log every handshake that succeeds, and reloads\n"
		"  --foreground          run in the foreground (the only mode)\n"
		"  -V, --version         print the version and exit\n"
		"  -h, --help            print this help and exit\n"
		"\n"
		"Signals: SIGTERM/SIGINT exit, SIGHUP reloads every SVID.\n"
		"Exit status: 0 stopped by a signal, 1 runtime error, 2 usage error.\n",
		SVID_DEFAULT_DIR, HS_DEFAULT_CIPHERSUITES);
}

static int usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "handshaked: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry \"handshaked --help\".\n");
	return EXIT_USAGE;
}

/* 0: run; else the exit status (after --help, --version or an error). */
static int parse_args(int argc, char **argv, struct opts *o, bool *exit_now)
{
	enum { OPT_SVID_DIR = 256, OPT_CIPHERSUITES, OPT_FOREGROUND };
	static const struct option longopts[] = {
		{ "svid-dir", required_argument, NULL, OPT_SVID_DIR },
		{ "ciphersuites", required_argument, NULL, OPT_CIPHERSUITES },
		{ "foreground", no_argument, NULL, OPT_FOREGROUND },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char err[256];
	int c;

	*exit_now = false;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":vVh", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_SVID_DIR:
			if (!*optarg)
				return usage_error("--svid-dir needs a directory");
			o->svid_dir = optarg;
			break;
		case OPT_CIPHERSUITES:
			if (tls_check_ciphersuites(optarg, err, sizeof(err)))
				return usage_error("--ciphersuites: %s", err);
			o->ciphersuites = optarg;
			break;
		case OPT_FOREGROUND:
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'V':
			printf("handshaked %s\n", VERSION);
			*exit_now = true;
			return 0;
		case 'h':
			usage(stdout);
			*exit_now = true;
			return 0;
		case ':':
			return usage_error("option \"%s\" needs an argument",
					   argv[optind - 1]);
		default:
			return usage_error("unknown option \"%s\"",
					   argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument \"%s\"", argv[optind]);
	return 0;
}

static const char *attach_error(int err)
{
	switch (err) {
	case -EPERM:
		return "need CAP_NET_ADMIN to attach as the handshake daemon";
	case -EBUSY:
		return "another handshake daemon is attached (EBUSY)";
	case -EOPNOTSUPP:
		return "the loaded kmtls module has no daemon-attach (too old?)";
	}
	return NULL;
}

/* The daemon's top-level context: everything the loop touches. */
struct daemon {
	struct opts opts;
	struct svid_store *svids;
	struct nl *nl;
	struct hs hs;
	int sigfd;
	bool hs_ready;
};

static int setup_signals(struct daemon *d)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	d->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d->sigfd < 0)
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

/* 1: stop; 0: go on. */
static int handle_signals(struct daemon *d)
{
	struct signalfd_siginfo si;
	int stop = 0;

	while (read(d->sigfd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			stop = 1;
			break;
		case SIGHUP:
			log_notice("SIGHUP: reloading every SVID on next use");
			svid_store_reload_all(d->svids);
			break;
		}
	}
	return stop;
}

static int run(struct daemon *d)
{
	struct pollfd pfd[2];
	uint64_t now;
	int ret;

	for (;;) {
		pfd[0].fd = nl_fd(d->nl);
		pfd[0].events = POLLIN;
		pfd[1].fd = d->sigfd;
		pfd[1].events = POLLIN;
		ret = poll(pfd, 2, TICK_MS);
		if (ret < 0 && errno != EINTR) {
			log_err("poll: %s", strerror(errno));
			return EXIT_RUNTIME;
		}
		if (ret > 0 && (pfd[1].revents & POLLIN) && handle_signals(d))
			return EXIT_SUCCESS;
		now = clock_ms();
		if (ret > 0 && pfd[0].revents) {
			ret = nl_receive(d->nl, &d->hs, now);
			if (ret) {
				log_err("netlink receive: %s", strerror(-ret));
				return EXIT_RUNTIME;
			}
		}
		hs_expire(&d->hs, now);
	}
}

int main(int argc, char **argv)
{
	struct daemon d = { .opts.svid_dir = SVID_DEFAULT_DIR, .sigfd = -1 };
	struct hs_transport tx;
	struct stat st;
	bool exit_now;
	char err[512];
	int ret;

	ret = parse_args(argc, argv, &d.opts, &exit_now);
	if (ret || exit_now)
		return ret;
	log_set_verbose(d.opts.verbose);

	ret = EXIT_RUNTIME;
	if (stat(d.opts.svid_dir, &st) || !S_ISDIR(st.st_mode))
		log_warn("SVID directory %s does not exist (yet): handshakes fail until it does",
			 d.opts.svid_dir);
	d.svids = svid_store_new(d.opts.svid_dir, d.opts.ciphersuites);
	if (!d.svids) {
		log_err("out of memory");
		goto out;
	}
	if (setup_signals(&d)) {
		log_err("signals: %s", strerror(errno));
		goto out;
	}
	ret = nl_open(&d.nl, err, sizeof(err));
	if (ret) {
		log_err("%s", err);
		ret = EXIT_RUNTIME;
		goto out;
	}
	nl_transport(d.nl, &tx);
	if (hs_init(&d.hs, d.svids, &tx, HS_MAX_FLOWS_DEFAULT,
		    HS_FLOW_TIMEOUT_MS, KMTLS_HANDSHAKE_DATA_MAX_LEN)) {
		log_err("out of memory");
		ret = EXIT_RUNTIME;
		goto out;
	}
	d.hs_ready = true;
	ret = nl_attach(d.nl, &d.hs, err, sizeof(err));
	if (ret) {
		const char *what = attach_error(ret);

		if (what)
			log_err("%s", what);
		else
			log_err("daemon-attach: %s%s%s", strerror(-ret),
				*err ? ": " : "", err);
		ret = EXIT_RUNTIME;
		goto out;
	}
	log_notice("handshaked %s attached; SVIDs from %s; cipher suites %s",
		 VERSION, d.opts.svid_dir,
		 d.opts.ciphersuites ? d.opts.ciphersuites
				     : HS_DEFAULT_CIPHERSUITES);
	ret = run(&d);
	if (ret == EXIT_SUCCESS)
		log_notice("stopping: %" PRIu64 " handshakes established, %" PRIu64 " failed, %zu in flight left to the kernel",
			 d.hs.stats.established, d.hs.stats.failed,
			 d.hs.flows.count);
out:
	/* Closing the socket first: the kernel fails what is in flight. */
	nl_close(d.nl);
	if (d.hs_ready)
		hs_fini(&d.hs);
	svid_store_free(d.svids);
	if (d.sigfd >= 0)
		close(d.sigfd);
	return ret;
}
