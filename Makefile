# sigctl — the two commands a new machine needs:
#   make run    install what is missing, build, run a node in local mode on port 9000
#   make test   install what is missing, build, run every test
# Both work on a fresh Debian 12 machine with Swift on the PATH.

APT_PACKAGES := libhiredis-dev libedit-dev redis-server redis-sentinel openssl pkg-config
# Only `make test` needs these: the demo page's real-browser tests and the load-balancer test.
TEST_APT_PACKAGES := chromium chromium-driver nginx
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
SWIFT_FLAGS ?=
PORT ?= 9000

.PHONY: run test deps test-deps apt-install build release completions man check-generated bench clean

deps:
	@$(MAKE) --no-print-directory apt-install PACKAGES="$(APT_PACKAGES)"

test-deps:
	@$(MAKE) --no-print-directory apt-install PACKAGES="$(TEST_APT_PACKAGES)"

# Installs whichever of $(PACKAGES) are missing.
apt-install:
	@missing=""; for p in $(PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

release: deps
	swift build -c release --product sigctl $(SWIFT_FLAGS)

run: release
	"$$(swift build -c release --show-bin-path)/sigctl" serve --port $(PORT)

build: deps
	swift build --build-tests $(SWIFT_FLAGS)

test: build test-deps
	SIGCTL_BINARY="$$(swift build --show-bin-path)/sigctl" swift test --skip-build $(SWIFT_FLAGS)

# Shell completions and the man page come from the command definitions; tests fail when they drift.
completions: deps
	swift build --product sigctl
	bin="$$(swift build --show-bin-path)/sigctl"; \
	for sh in bash zsh fish; do "$$bin" --generate-completion-script $$sh > completions/sigctl.$$sh; done

man: deps
	swift package plugin --allow-writing-to-package-directory generate-manual --configuration debug >/dev/null
	cp .build/plugins/GenerateManual/outputs/sigctl/sigctl.1 man/sigctl.1

bench: deps
	scripts/bench-redis-client.sh

clean:
	swift package clean
