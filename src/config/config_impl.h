/*
 * config_impl.h: declarations shared inside the config module.
 */
#ifndef FCFIT_CONFIG_IMPL_H
#define FCFIT_CONFIG_IMPL_H

#include "fcfit/fcfit_config.h"
#include "fcfit/fcfit_util.h"


/** Parse a YAML file into a tree. */
fcfit_status fcfit_yaml_parse_file(const char *path, fcfit_ynode **out);

#endif
