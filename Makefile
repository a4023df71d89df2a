# SPDX-License-Identifier: GPL-2.0
#
# make                 build sbull.ko against the running kernel
# make KVER=<release>  build against an installed kernel's headers
# make install         modules_install + depmod for that kernel, and sbullctl
# make install-tools   sbullctl and its man page alone, under $(PREFIX)
# make demo | check | shell   run in a QEMU guest (see README.md)
# make trace-demo     trace an I/O through each request path, in the guest
# make bench [QUICK=1] fio: sbull vs brd and null_blk, in a QEMU guest (docs/bench.md)
# make bench-mirror    fio: sbull with 0-2 legs vs dm-raid1 and brd, in a guest
# make bench-refill    the first read after a load with a leg; the refill's rate
# make exercises       the student tree, exercises/ (docs/teaching/exercises.md)
# make grade [EX=N]    grade exercises/ in a QEMU guest
# make deb             build dist/sbull-dkms_<version>_all.deb
# make dkms-install | dkms-remove   register this source tree with DKMS

KVER ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KVER)/build
VERSION := $(shell cat VERSION)
DKMS_SRC ?= /usr/src/sbull-$(VERSION)
DKMS ?= dkms
PREFIX ?= /usr/local

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

install: modules install-tools
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules_install
	depmod -a $(KVER)

install-tools:
	install -D -m 0755 tools/sbullctl $(DESTDIR)$(PREFIX)/sbin/sbullctl
	install -D -m 0644 tools/sbullctl.8 $(DESTDIR)$(PREFIX)/share/man/man8/sbullctl.8

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean

demo:
	scripts/demo.sh

trace-demo:
	scripts/demo.sh scripts/trace-demo-guest.sh

check:
	test/run.sh

shell:
	scripts/shell.sh $(SERIES)

bench:
	QUICK=$(QUICK) scripts/bench.sh

bench-mirror:
	scripts/bench-mirror.sh

bench-refill:
	scripts/bench-refill.sh

exercises:
	scripts/grade/exercises.sh

grade:
	EX="$(EX)" scripts/grade/grade.sh $(TREE)

deb:
	scripts/build-deb.sh

# The same tree as the Debian package puts in /usr/src, then DKMS builds
# and installs sbull for the running kernel and every later one.
dkms-install:
	mkdir -p $(DKMS_SRC)
	cp Kbuild Makefile VERSION $$(scripts/sources.sh) $(DKMS_SRC)/
	sed 's/#MODULE_VERSION#/$(VERSION)/' dkms.conf >$(DKMS_SRC)/dkms.conf
	$(DKMS) install sbull/$(VERSION)

dkms-remove:
	$(DKMS) remove sbull/$(VERSION) --all
	rm -rf $(DKMS_SRC)

.PHONY: all modules install install-tools clean demo trace-demo check shell bench bench-mirror bench-refill exercises grade \
	deb dkms-install dkms-remove
