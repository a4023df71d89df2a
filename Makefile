# SPDX-License-Identifier: GPL-2.0
#
# make                 build sbull.ko against the running kernel
# make KVER=<release>  build against an installed kernel's headers
# make install         modules_install + depmod for that kernel
# make demo | check | shell   run in a QEMU guest (see README.md)

KVER ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KVER)/build

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

install: modules
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules_install
	depmod -a $(KVER)

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean

demo:
	scripts/demo.sh

check:
	test/run.sh

shell:
	scripts/shell.sh $(SERIES)

.PHONY: all modules install clean demo check shell
