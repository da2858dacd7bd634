# SPDX-License-Identifier: GPL-2.0-only
# edgeward build: bpf/*.bpf.c -> .bpf.o -> .skel.h -> user objects, all into build/.
# Variables: CLANG, BPFTOOL, CC, V=1 (show commands).

CLANG	?= clang
BPFTOOL	?= bpftool
CC	?= gcc
ARCH_INC := /usr/include/$(shell $(CC) -dumpmachine)
B	:= build

ifeq ($(V),1)
Q :=
msg =
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

WARN	:= -Wall -Wextra -Werror
CFLAGS	?= -O2 -g
CFLAGS	+= $(WARN) -std=gnu11 -D_GNU_SOURCE -Iinclude -Iuser/lib -I$(B)
PKGS	:= libbpf jansson yaml-0.1 libcrypto
LDLIBS	:= $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lbpf -ljansson -lyaml -lcrypto) -lelf -lz -lm
# The daemon's extra libraries (TLS API, tokens, password hashing, HTTP parsing, database).
DPKGS	:= openssl libjwt libevent libevent_openssl libargon2 libpq libcurl
DLIBS	:= $(shell pkg-config --libs $(DPKGS) 2>/dev/null || \
	   echo -lssl -lcrypto -ljwt -levent -levent_openssl -largon2 -lpq -lcurl) -lhttp_parser
BPF_CFLAGS := -O2 -g -target bpf $(WARN) -Wno-unused-function -I$(ARCH_INC) -Iinclude -Ibpf -mcpu=v3

BPF_SRC	:= $(wildcard bpf/*.bpf.c)
BPF_OBJ	:= $(patsubst bpf/%.bpf.c,$(B)/%.bpf.o,$(BPF_SRC))
SKELS	:= $(patsubst bpf/%.bpf.c,$(B)/%.skel.h,$(BPF_SRC))
HDRS	:= $(wildcard include/edgeward/*.h bpf/lib/*.h user/lib/*.h user/edgewardctl/*.h \
	     user/edgewardd/*.h)

LIB_SRC	:= $(wildcard user/lib/*.c)
LIB_OBJ	:= $(patsubst user/lib/%.c,$(B)/lib/%.o,$(LIB_SRC))
LIB	:= $(B)/libedgeward.a

# The daemon's modules form a library too, so unit tests link the real code.
D_SRC	:= $(filter-out user/edgewardd/main.c,$(wildcard user/edgewardd/*.c))
D_OBJ	:= $(patsubst user/edgewardd/%.c,$(B)/obj/edgewardd/%.o,$(D_SRC))
DLIB	:= $(B)/libedgewardd.a

CTL_SRC	:= $(wildcard user/edgewardctl/*.c)
CTL_OBJ	:= $(patsubst user/edgewardctl/%.c,$(B)/obj/edgewardctl/%.o,$(CTL_SRC))

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(patsubst tests/unit/%.c,$(B)/tests/unit/%,$(UNIT_SRC))
BPFT_SRC := $(wildcard tests/bpf/test_*.c)
BPFT_BIN := $(patsubst tests/bpf/%.c,$(B)/tests/bpf/%,$(BPFT_SRC))
BPFT_COMMON := $(wildcard tests/bpf/lib/*.c)
FUZZ_SRC := $(wildcard tests/fuzz/*.c)
FUZZ_BIN := $(patsubst tests/fuzz/%.c,$(B)/tests/fuzz/%,$(FUZZ_SRC))
BENCH_SRC := $(wildcard bench/*.c)
BENCH_BIN := $(patsubst bench/%.c,$(B)/bench/%,$(BENCH_SRC))

.PHONY: all deps test test-unit demo bench clean install format
.DELETE_ON_ERROR:

all: $(BPF_OBJ) $(SKELS) $(B)/edgewardctl $(B)/edgewardd

deps:
	$(Q)./scripts/install-deps.sh

$(B)/%.bpf.o: bpf/%.bpf.c $(HDRS) | $(B)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(B)/%.skel.h: $(B)/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*) > $@

$(B)/lib/%.o: user/lib/%.c $(HDRS) $(SKELS) | $(B)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJ)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(B)/obj/edgewardctl/%.o: user/edgewardctl/%.c $(HDRS) $(SKELS) | $(B)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(CFLAGS) -Iuser/edgewardctl -c $< -o $@

$(B)/edgewardctl: $(CTL_OBJ) $(LIB)
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $(CTL_OBJ) $(LIB) $(LDLIBS) $(DLIBS)

$(B)/obj/edgewardd/%.o: user/edgewardd/%.c $(HDRS) $(SKELS) | $(B)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(CFLAGS) -Iuser/edgewardd -c $< -o $@

# The common-password list is built into password.o (.incbin).
$(B)/obj/edgewardd/password.o: data/common-passwords.txt

$(DLIB): $(D_OBJ)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(B)/edgewardd: $(B)/obj/edgewardd/main.o $(DLIB) $(LIB)
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $< $(DLIB) $(LIB) $(LDLIBS) $(DLIBS)

$(B)/tests/unit/%: tests/unit/%.c $(DLIB) $(LIB) $(HDRS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(CFLAGS) -Iuser/edgewardd -o $@ $< $(DLIB) $(LIB) $(LDLIBS) $(DLIBS) -lcmocka

# A server with test routes, for tests/http/test_tls.sh (real clients: curl, openssl, sslscan).
$(B)/tests/http_harness: tests/http/http_harness.c $(DLIB) $(LIB) $(HDRS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(CFLAGS) -Iuser/edgewardd -o $@ $< $(DLIB) $(LIB) $(LDLIBS) $(DLIBS)

$(B)/tests/bpf/%: tests/bpf/%.c $(BPFT_COMMON) $(LIB) $(HDRS) $(SKELS) $(wildcard tests/bpf/lib/*.h)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(CFLAGS) -Itests/bpf/lib -o $@ $< $(BPFT_COMMON) $(LIB) $(LDLIBS)

$(B)/tests/fuzz/%: tests/fuzz/%.c $(BPFT_COMMON) $(LIB) $(HDRS) $(SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(CFLAGS) -Itests/bpf/lib -o $@ $< $(BPFT_COMMON) $(LIB) $(LDLIBS)

$(B)/bench/%: bench/%.c $(BPFT_COMMON) $(DLIB) $(LIB) $(HDRS) $(SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(CFLAGS) -Itests/bpf/lib -Iuser/edgewardd -o $@ $< $(BPFT_COMMON) \
		$(DLIB) $(LIB) $(LDLIBS) $(DLIBS)

$(B):
	$(Q)mkdir -p $(B)

tests-build: all $(UNIT_BIN) $(BPFT_BIN) $(FUZZ_BIN) $(B)/tests/http_harness

# Unit tests need no privileges; the rest need root (BPF, namespaces).
test-unit: $(UNIT_BIN)
	$(Q)./scripts/run-tests.sh unit

test: deps
	$(Q)$(MAKE) --no-print-directory tests-build
	$(Q)./scripts/run-tests.sh all

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)./scripts/demo.sh

bench: deps
	$(Q)$(MAKE) --no-print-directory all $(BENCH_BIN)
	$(Q)./scripts/bench.sh

format:
	clang-format -i $(wildcard bpf/*.c bpf/lib/*.h include/edgeward/*.h user/*/*.c user/*/*.h)

clean:
	rm -rf $(B)

# ---- libFuzzer targets and sanitizer builds of the unit tests ----
# tests/fuzz/libfuzzer/fuzz_*.c become build/fuzz/fuzz_*, linked against the
# project's sources rebuilt by clang with the fuzzer's coverage feedback and
# ASan+UBSan (build/fuzz/obj); `make test` runs each briefly over its seed
# corpus, `make fuzz` for FUZZ_TIME seconds each. tests/unit/test_*.c are built
# a second time with gcc's ASan+UBSan into build/asan (objects in
# build/asan/obj), run by the "sanitize" suite. Neither touches build/lib or
# build/obj. A sanitizer report aborts (-fno-sanitize-recover=all), so the
# first error fails the run instead of scrolling past. The project's sources
# are held to gcc's warnings by the normal build; clang's extra ones
# (designated-initializer style) do not fail the fuzz build, the targets' own
# files must be clean. clang's libFuzzer runtime: libclang-rt-14-dev (Debian).
FUZZ_TIME ?= 60
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
FUZZ_CFLAGS := -O1 -g $(SAN_FLAGS) -std=gnu11 -D_GNU_SOURCE -Iinclude -Iuser/lib -Iuser/edgewardd \
	       -I$(B)
FUZZ_OBJ_WARN := -Wall -Wextra -Wno-missing-field-initializers
LF_SRC	:= $(wildcard tests/fuzz/libfuzzer/fuzz_*.c)
LF_BIN	:= $(patsubst tests/fuzz/libfuzzer/%.c,$(B)/fuzz/%,$(LF_SRC))
LF_LIB_OBJ := $(patsubst user/lib/%.c,$(B)/fuzz/obj/lib/%.o,$(LIB_SRC))
LF_D_OBJ := $(patsubst user/edgewardd/%.c,$(B)/fuzz/obj/edgewardd/%.o,$(D_SRC))
LF_LIBS	:= $(B)/fuzz/libedgewardd.a $(B)/fuzz/libedgeward.a

SAN_CFLAGS := $(CFLAGS) $(SAN_FLAGS) -Iuser/edgewardd
SAN_LIB_OBJ := $(patsubst user/lib/%.c,$(B)/asan/obj/lib/%.o,$(LIB_SRC))
SAN_D_OBJ := $(patsubst user/edgewardd/%.c,$(B)/asan/obj/edgewardd/%.o,$(D_SRC))
SAN_LIBS := $(B)/asan/libedgewardd.a $(B)/asan/libedgeward.a
SAN_UNIT_BIN := $(patsubst tests/unit/%.c,$(B)/asan/tests/unit/%,$(UNIT_SRC))

.PHONY: fuzz fuzz-build sanitize-build

$(LF_LIB_OBJ): $(B)/fuzz/obj/lib/%.o: user/lib/%.c $(HDRS) $(SKELS) | $(B)
	$(call msg,FUZZCC,$@)
	$(Q)mkdir -p $(@D) && \
		$(CLANG) $(FUZZ_CFLAGS) $(FUZZ_OBJ_WARN) -fsanitize=fuzzer-no-link -c $< -o $@

$(LF_D_OBJ): $(B)/fuzz/obj/edgewardd/%.o: user/edgewardd/%.c $(HDRS) $(SKELS) | $(B)
	$(call msg,FUZZCC,$@)
	$(Q)mkdir -p $(@D) && \
		$(CLANG) $(FUZZ_CFLAGS) $(FUZZ_OBJ_WARN) -fsanitize=fuzzer-no-link -c $< -o $@

$(B)/fuzz/libedgeward.a: $(LF_LIB_OBJ)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(B)/fuzz/libedgewardd.a: $(LF_D_OBJ)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(LF_BIN): $(B)/fuzz/%: tests/fuzz/libfuzzer/%.c $(LF_LIBS) $(HDRS)
	$(call msg,FUZZLD,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $(WARN) -fsanitize=fuzzer -o $@ $< $(LF_LIBS) $(LDLIBS) $(DLIBS)

$(SAN_LIB_OBJ): $(B)/asan/obj/lib/%.o: user/lib/%.c $(HDRS) $(SKELS) | $(B)
	$(call msg,ASANCC,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(SAN_CFLAGS) -c $< -o $@

$(SAN_D_OBJ): $(B)/asan/obj/edgewardd/%.o: user/edgewardd/%.c $(HDRS) $(SKELS) | $(B)
	$(call msg,ASANCC,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(SAN_CFLAGS) -c $< -o $@

# The common-password list is built into password.o (.incbin), in every flavour.
$(B)/fuzz/obj/edgewardd/password.o $(B)/asan/obj/edgewardd/password.o: data/common-passwords.txt

$(B)/asan/libedgeward.a: $(SAN_LIB_OBJ)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(B)/asan/libedgewardd.a: $(SAN_D_OBJ)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(SAN_UNIT_BIN): $(B)/asan/tests/unit/%: tests/unit/%.c $(SAN_LIBS) $(HDRS)
	$(call msg,ASANLD,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(SAN_CFLAGS) -o $@ $< $(SAN_LIBS) $(LDLIBS) $(DLIBS) -lcmocka

fuzz-build: $(LF_BIN)

sanitize-build: $(SAN_UNIT_BIN)

tests-build: $(SAN_UNIT_BIN) $(LF_BIN)

# Each target for FUZZ_TIME seconds, its corpus growing in build/fuzz/corpus/<target>.
fuzz: fuzz-build
	$(Q)FUZZ_TIME=$(FUZZ_TIME) ./scripts/run-tests.sh libfuzzer
