/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One eIM configured on an eUICC: /org/freedesktop/Esimd1/Eim/N, matched by eimId. */
#pragma once

#include <gio/gio.h>

#include "esim-es10.h"
#include "esimd-gdbus.h"

G_BEGIN_DECLS

#define ESIMD_TYPE_EIM (esimd_eim_get_type ())
G_DECLARE_FINAL_TYPE (EsimdEim, esimd_eim, ESIMD, EIM, GObject)

EsimdEim            *esimd_eim_new (const gchar *euicc_path, const EsimEimConfig *config);
void                 esimd_eim_update (EsimdEim *self, const EsimEimConfig *config);
const gchar         *esimd_eim_get_path (EsimdEim *self);
GDBusObjectSkeleton *esimd_eim_get_object (EsimdEim *self);
void                 esimd_eim_flush (EsimdEim *self);
const gchar         *esimd_eim_get_eim_id (EsimdEim *self);
EsimdGdbusEim       *esimd_eim_get_skeleton (EsimdEim *self);
/* LastPoll, NextPoll (unix seconds, 0: none) and LastError ("" after a success). */
void                 esimd_eim_set_poll_state (EsimdEim *self, gint64 last_poll, gint64 next_poll,
                                               const gchar *last_error);

G_END_DECLS
