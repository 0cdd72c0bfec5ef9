/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One eIM configured on an eUICC: /org/freedesktop/Esimd1/Eim/N, matched by eimId. */
#pragma once

#include <gio/gio.h>

#include "esim-es10.h"

G_BEGIN_DECLS

#define ESIMD_TYPE_EIM (esimd_eim_get_type ())
G_DECLARE_FINAL_TYPE (EsimdEim, esimd_eim, ESIMD, EIM, GObject)

EsimdEim            *esimd_eim_new (const gchar *euicc_path, const EsimEimConfig *config);
void                 esimd_eim_update (EsimdEim *self, const EsimEimConfig *config);
const gchar         *esimd_eim_get_path (EsimdEim *self);
GDBusObjectSkeleton *esimd_eim_get_object (EsimdEim *self);
void                 esimd_eim_flush (EsimdEim *self);

G_END_DECLS
