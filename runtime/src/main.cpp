//===- main.cpp - entry point of every model binary -----------------------===//
#include "cli.h"

int main(int argc, char **argv) {
  return kiln::rt::runCli(kiln_model_desc, argc, argv);
}
