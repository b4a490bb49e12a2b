# install-extra: man pages, bash completions and the systemd units.
# Included from the top-level Makefile; also usable alone:
#   make -f mk/install.mk install-extra DESTDIR=/tmp/stage PREFIX=/usr
# Every directory is a ?= variable so packagers can override it.

PREFIX         ?= /usr/local
DESTDIR        ?=
BINDIR         ?= $(PREFIX)/bin
MANDIR         ?= $(PREFIX)/share/man
BASHCOMPDIR    ?= $(PREFIX)/share/bash-completion/completions
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
# Created (mode 0700) for configurations unless empty.
WGCONFDIR      ?= /etc/wireguard
INSTALL        ?= install

# Paths relative to the repository root, wherever make runs from.
INSTALL_MK_ROOT := $(patsubst %/mk/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))

EXTRA_MANPAGES   := wg.8 wg-quick.8 wgshim.8
EXTRA_COMPLETION := wg wg-quick
EXTRA_UNITS      := wg-quick@.service wg-quick.target

.PHONY: install-extra uninstall-extra

# The unit runs the wg and wg-quick we install, not whatever comes first in
# systemd's search path (a distribution's wireguard-tools, say).
install-extra:
	$(INSTALL) -d $(DESTDIR)$(MANDIR)/man8
	@for m in $(EXTRA_MANPAGES); do \
		echo "$(INSTALL) -m 0644 docs/man/$$m $(DESTDIR)$(MANDIR)/man8/$$m"; \
		$(INSTALL) -m 0644 $(INSTALL_MK_ROOT)/docs/man/$$m $(DESTDIR)$(MANDIR)/man8/$$m || exit 1; \
	done
	$(INSTALL) -d $(DESTDIR)$(BASHCOMPDIR)
	@for c in $(EXTRA_COMPLETION); do \
		echo "$(INSTALL) -m 0644 packaging/completion/$$c $(DESTDIR)$(BASHCOMPDIR)/$$c"; \
		$(INSTALL) -m 0644 $(INSTALL_MK_ROOT)/packaging/completion/$$c $(DESTDIR)$(BASHCOMPDIR)/$$c || exit 1; \
	done
	$(INSTALL) -d $(DESTDIR)$(SYSTEMDUNITDIR)
	@for u in $(EXTRA_UNITS); do \
		echo "install packaging/systemd/$$u $(DESTDIR)$(SYSTEMDUNITDIR)/$$u"; \
		sed -e 's|=wg-quick |=$(BINDIR)/wg-quick |' \
		    -e 's|exec wg |exec $(BINDIR)/wg |' \
		    -e 's|exec wg-quick |exec $(BINDIR)/wg-quick |' \
		    $(INSTALL_MK_ROOT)/packaging/systemd/$$u > $(DESTDIR)$(SYSTEMDUNITDIR)/$$u.tmp && \
		chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/$$u.tmp && \
		mv -f $(DESTDIR)$(SYSTEMDUNITDIR)/$$u.tmp $(DESTDIR)$(SYSTEMDUNITDIR)/$$u || exit 1; \
	done
	@if [ -n "$(WGCONFDIR)" ]; then \
		echo "$(INSTALL) -d -m 0700 $(DESTDIR)$(WGCONFDIR)"; \
		$(INSTALL) -d -m 0700 $(DESTDIR)$(WGCONFDIR); \
	fi

uninstall-extra:
	@for m in $(EXTRA_MANPAGES); do rm -f $(DESTDIR)$(MANDIR)/man8/$$m; done
	@for c in $(EXTRA_COMPLETION); do rm -f $(DESTDIR)$(BASHCOMPDIR)/$$c; done
	@for u in $(EXTRA_UNITS); do rm -f $(DESTDIR)$(SYSTEMDUNITDIR)/$$u; done
