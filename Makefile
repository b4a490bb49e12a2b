# wgshim: WireGuard for Linux, FreeBSD, OpenBSD and Windows.
#
#   make build      bin/wgshim, bin/wg, bin/wg-quick
#   make test       everything CI runs (needs root for namespaces and the VM)
#   make demo       a real tunnel between two network namespaces
#   make bench      Go benchmarks with -benchmem (ratios against references)
#   make cross      build and vet for every supported OS
#   make install    PREFIX=/usr/local DESTDIR=... (see README)

GO       ?= go
PREFIX   ?= /usr/local
DESTDIR  ?=
BINDIR   ?= $(PREFIX)/bin
CMDS     := $(notdir $(wildcard cmd/*))
GOOSES   := linux freebsd openbsd windows darwin
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X github.com/wgshim/wgshim/version.Version=$(VERSION)

.PHONY: all build test test-unit test-race test-fuzz test-kernel test-e2e check cross bench bench-tunnel demo install clean windows-package

all: build

build:
	@mkdir -p bin
	@for c in $(CMDS); do \
		echo "go build -o bin/$$c ./cmd/$$c"; \
		CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/$$c ./cmd/$$c || exit 1; \
	done

# check: formatting, vet, no product import of wireguard-go, cross-builds.
check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
		if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	@for os in $(GOOSES); do \
		if GOOS=$$os $(GO) list -deps ./... | grep -E '^golang\.zx2c4\.com/wireguard(/|$$)' | grep -v '^golang\.zx2c4\.com/wireguard/windows'; then \
			echo "product code imports wireguard-go (GOOS=$$os)"; exit 1; fi; \
	done
	@$(MAKE) --no-print-directory cross

cross:
	@for os in $(GOOSES); do for arch in amd64 arm64; do \
		echo "GOOS=$$os GOARCH=$$arch go build && go vet"; \
		GOOS=$$os GOARCH=$$arch $(GO) build ./... || exit 1; \
		GOOS=$$os GOARCH=$$arch $(GO) vet ./... || exit 1; \
	done; done

test-unit:
	$(GO) test -count=1 -timeout 20m ./...

test-race:
	$(GO) test -count=1 -race -timeout 20m ./core/...

test-fuzz:
	./scripts/fuzz-brief.sh

test-kernel:
	./tests/kernel/run.sh

# The namespace end-to-end tests are Go tests under tests/; test-unit runs
# them too, this target runs only them.
test-e2e:
	$(GO) test -count=1 -timeout 20m ./tests/...

test: check test-unit test-race test-fuzz test-kernel
	@echo "make test: all passed"

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# iperf3 through a tunnel between two namespaces, wgshim and wireguard-go
# alternately; prints throughput, CPU per GB, memory and the ratios.
bench-tunnel: build
	./tests/bench-tunnel.sh

demo: build
	./tests/demo.sh

# install: the commands, then man pages, completions and the systemd unit
# (install-extra, from mk/install.mk).
install: build
	install -d $(DESTDIR)$(BINDIR)
	@for c in $(CMDS); do install -m 0755 bin/$$c $(DESTDIR)$(BINDIR)/$$c; done
	@$(MAKE) --no-print-directory install-extra

# windows-package: dist/wgshim-VERSION-windows-ARCH.zip for amd64 and
# arm64, as docs/windows.md ("How the Windows package is assembled")
# describes. wintun.dll cannot be downloaded here: pass WINTUN_ZIP=path to
# a checked wintun-0.14.1.zip to include it; without it the package asks
# the user to add the DLL (the daemon says where).
WINTUN_ZIP    ?=
WINTUN_SHA256 := 07c256185d6ee3652e09fa55c0b673e2624b565e02c4b9091c79ca7d2f24ef51
windows-package:
	@for arch in amd64 arm64; do \
		d=dist/wgshim-$(VERSION)-windows-$$arch; rm -rf $$d; mkdir -p $$d/Data/Configurations $$d/Data/Logs; \
		for c in $(CMDS); do \
			GOOS=windows GOARCH=$$arch CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $$d/$$c.exe ./cmd/$$c || exit 1; \
		done; \
		if [ -n "$(WINTUN_ZIP)" ]; then \
			echo "$(WINTUN_SHA256)  $(WINTUN_ZIP)" | sha256sum -c - || exit 1; \
			unzip -p "$(WINTUN_ZIP)" wintun/bin/$$arch/wintun.dll > $$d/wintun.dll || exit 1; \
			unzip -p "$(WINTUN_ZIP)" wintun/LICENSE.txt > $$d/wintun-LICENSE.txt || exit 1; \
		else echo "windows-package: no WINTUN_ZIP: $$d has no wintun.dll (see docs/windows.md)"; fi; \
		cp LICENSE $$d/LICENSE.txt; cp docs/windows.md $$d/README.md; \
		(cd dist && rm -f wgshim-$(VERSION)-windows-$$arch.zip && \
			(command -v zip >/dev/null && zip -qr wgshim-$(VERSION)-windows-$$arch.zip wgshim-$(VERSION)-windows-$$arch || \
			 tar -czf wgshim-$(VERSION)-windows-$$arch.tar.gz wgshim-$(VERSION)-windows-$$arch)); \
		echo "dist/wgshim-$(VERSION)-windows-$$arch"; \
	done

clean:
	rm -rf bin dist

# Man pages, completions and the systemd unit (install-extra).
-include mk/install.mk
