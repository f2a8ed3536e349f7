# kmtls - top-level Makefile.  It only drives other builds:
#   the module:     make -C $(KDIR) M=$(CURDIR)/kmod   (kmod/Kbuild)
#   userspace:      make -C userspace/<program>
#   tests and VMs:  scripts/check, scripts/vm
#
#   make                  module for the running kernel (or KERNELRELEASE= /
#                         KDIR=) and all userspace programs
#   make deps             Debian packages + both test kernels (idempotent)
#   make check            everything, on both test kernels (see README)
#   make vmtest KERNEL=6.1|6.12|debug   the VM selftests on one kernel
#   make demo             boot a VM, load the module, show `kmtls status`
#   make bench [KERNEL=6.1|6.12|all]   the benchmarks in the VM (docs/bench.md)
#   make install          module + programs + man pages + the handshaked
#                         unit on this machine (not enabled),
#                         and the development CA kmtls-ca (docs/dev-ca.md)
#   make dkms-install     the node install: module through DKMS
#   make dkms-uninstall   remove it again
#   make clean

VERSION       := $(shell cat $(CURDIR)/VERSION)
KERNELRELEASE ?= $(shell uname -r)
KDIR          ?= /lib/modules/$(KERNELRELEASE)/build
DESTDIR       ?=
PREFIX        ?= /usr/local
KERNEL        ?= 6.1
USERSPACE     := userspace/kmtls userspace/handshaked
# systemd's unit directory for software installed under PREFIX
# (/usr/local/lib/systemd/system is on systemd's search path).
UNITDIR       ?= $(PREFIX)/lib/systemd/system


.PHONY: all module userspace deps check vmtest demo bench install \
	dkms-install dkms-uninstall clean help

all: module userspace

help:
	@sed -n '2,/^$$/s/^# \{0,1\}//p' Makefile

# Quick when everything is there; installs what is missing otherwise.
deps:
	@scripts/deps

module:
	@if [ -d "$(KDIR)" ]; then \
		$(MAKE) -C "$(KDIR)" M="$(CURDIR)/kmod" modules; \
	else \
		echo "make: no kernel headers at $(KDIR) (running kernel $(KERNELRELEASE));"; \
		echo "      skipping the module. Build for a test kernel with"; \
		echo "      make module KERNELRELEASE=\$$(cat .cache/kernels/6.1/release)"; \
	fi

userspace:
	@scripts/deps packages
	@for d in $(USERSPACE); do $(MAKE) -C $$d all || exit 1; done

check:
	@scripts/check

vmtest:
	@scripts/check --only-vm $(KERNEL)

demo:
	@scripts/demo

bench:
	@scripts/bench -k $(KERNEL)

install: module userspace
	@if [ -d "$(KDIR)" ]; then \
		install -D -m 0644 kmod/kmtls.ko \
			$(DESTDIR)/lib/modules/$(KERNELRELEASE)/updates/kmtls.ko; \
		[ -n "$(DESTDIR)" ] || depmod -a $(KERNELRELEASE); \
	fi
	install -D -m 0755 userspace/kmtls/kmtls $(DESTDIR)$(PREFIX)/sbin/kmtls
	install -D -m 0755 scripts/kmtls-ca $(DESTDIR)$(PREFIX)/sbin/kmtls-ca
	install -D -m 0644 docs/kmtls.8 $(DESTDIR)$(PREFIX)/share/man/man8/kmtls.8
	install -D -m 0755 userspace/handshaked/handshaked \
		$(DESTDIR)$(PREFIX)/sbin/handshaked
	install -D -m 0644 docs/handshaked.8 \
		$(DESTDIR)$(PREFIX)/share/man/man8/handshaked.8
	install -d $(DESTDIR)$(UNITDIR)
	sed 's|/usr/local/sbin/handshaked|$(PREFIX)/sbin/handshaked|' \
		userspace/handshaked/handshaked.service \
		> $(DESTDIR)$(UNITDIR)/handshaked.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/handshaked.service

dkms-install: userspace
	@scripts/install dkms

dkms-uninstall:
	@scripts/install dkms-remove

clean:
	@if [ -d "$(KDIR)" ]; then $(MAKE) -C "$(KDIR)" M="$(CURDIR)/kmod" clean; fi
	-for d in $(USERSPACE); do $(MAKE) -C $$d clean; done
	-$(MAKE) -C selftests clean
	rm -rf build
