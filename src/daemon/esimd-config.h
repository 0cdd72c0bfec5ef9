/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * esimd.conf: a GKeyFile read from --config (default ESIMD_CONFIG_FILE when it
 * exists), then every *.conf in the configuration directory in sorted order;
 * a later file overrides the keys it sets.
 */
#pragma once

#include <glib.h>

#include "esimd-log.h"

G_BEGIN_DECLS

#define ESIMD_CONFIG_SEGMENT_SIZE_MIN 6
#define ESIMD_CONFIG_SEGMENT_SIZE_MAX 255

typedef struct {
	EsimdLogLevel  log_level;          /* [daemon] LogLevel, default info */
	gboolean       log_personal_info;  /* [daemon] LogPersonalInfo, default false */
	guint          segment_size;       /* [euicc] StoreDataSegmentSize, 6..255, default 255 */
	gboolean       refresh_on_switch;  /* [euicc] RefreshOnSwitch, default true */
	GPtrArray     *virtual_files;      /* [virtual] Files, gchar* absolute paths */
} EsimdConfig;

EsimdConfig *esimd_config_new (void);
void         esimd_config_free (EsimdConfig *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsimdConfig, esimd_config_free)

/* Applies one file on top of @self.  Relative paths in [virtual] Files are
 * taken relative to the file's directory.  The error names the file, group
 * and key; unknown groups and keys only give a warning. */
gboolean     esimd_config_load_file (EsimdConfig *self, const gchar *path, GError **error);
/* @config_file NULL: ESIMD_CONFIG_FILE if it exists.  @config_dir: the
 * directory of *.conf drop-ins (a missing directory is fine). */
gboolean     esimd_config_load (EsimdConfig *self, const gchar *config_file,
                                const gchar *config_dir, GError **error);

G_END_DECLS
