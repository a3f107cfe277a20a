# The two commands of the README: `make run` and `make test`. Each installs what is
# missing (scripts/install-deps.sh, apt-get), configures, builds, then runs.
BUILD ?= build
DATA ?= ./data
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo

.PHONY: all deps build run test tsan bench clean format

all: build

deps:
	@bash scripts/install-deps.sh

$(BUILD)/build.ninja: CMakeLists.txt | deps
	cmake -S . -B $(BUILD) -G Ninja $(CMAKE_FLAGS)

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

run: build
	$(BUILD)/bin/ccow server --data $(DATA)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 900

# ThreadSanitizer: unit tests and the cluster tests on a -fsanitize=thread build in
# build-tsan/ (scripts/tsan.sh). Not part of `make test`.
tsan: deps
	JOBS=$(JOBS) bash scripts/tsan.sh build-tsan

bench: build
	bash bench/run-all.sh $(BUILD)

format:
	clang-format -i $$(git ls-files 'src/*.cc' 'src/*.h' 'tests/*.cc' 'bench/*.cc' 'fuzz/*.cc')

clean:
	rm -rf $(BUILD)
