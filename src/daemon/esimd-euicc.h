/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One eUICC on the bus: /org/freedesktop/Esimd1/Euicc/N with its profiles and
 * eIMs.  Method calls go through one chain: polkit, argument validation, then
 * a FIFO queue that runs one operation per eUICC at a time (State "busy"
 * meanwhile), refreshes what the operation changed and replies.
 */
#pragma once

#include <gio/gio.h>

#include "esim-channel.h"
#include "esimd-auth.h"
#include "esimd-config.h"

G_BEGIN_DECLS

typedef enum {
	ESIMD_OP_ENABLE_PROFILE,
	ESIMD_OP_DISABLE_PROFILE,
	ESIMD_OP_DELETE_PROFILE,
	ESIMD_OP_SET_NICKNAME,
	ESIMD_OP_ADD_INITIAL_EIM,
	ESIMD_OP_LIST_NOTIFICATIONS,
	ESIMD_OP_REMOVE_NOTIFICATION,
	ESIMD_OP_MEMORY_RESET,
} EsimdOpKind;

#define ESIMD_TYPE_EUICC (esimd_euicc_get_type ())
G_DECLARE_FINAL_TYPE (EsimdEuicc, esimd_euicc, ESIMD, EUICC, GObject)

EsimdEuicc  *esimd_euicc_new (GDBusObjectManagerServer *object_manager, EsimdAuth *auth,
                              const EsimdConfig *config, EsimChannel *channel);
const gchar *esimd_euicc_get_path (EsimdEuicc *self);
const gchar *esimd_euicc_get_log_id (EsimdEuicc *self);

/* Opens the ISD-R and reads everything the bus shows (EID, EUICCInfo2,
 * addresses, profiles, notification count, eIMs).  On failure the eUICC is
 * still usable for export, with State "error" and LastError set. */
void         esimd_euicc_probe_async (EsimdEuicc *self, GCancellable *cancellable,
                                      GAsyncReadyCallback callback, gpointer user_data);
gboolean     esimd_euicc_probe_finish (EsimdEuicc *self, GAsyncResult *res, GError **error);

/* Puts the eUICC object on the bus (its profiles and eIMs already are). */
void         esimd_euicc_export (EsimdEuicc *self);

/* Entry point of every method of the Euicc and Profile interfaces: @iccid
 * for profile operations, @arg the other argument (options a{sv}, nickname s,
 * config ay or seq t; NULL when none). */
void         esimd_euicc_submit (EsimdEuicc *self, GDBusMethodInvocation *invocation,
                                 EsimdOpKind kind, const gchar *iccid, GVariant *arg);

/* Refuses queued operations, cancels the running one and closes the ISD-R. */
void         esimd_euicc_close_async (EsimdEuicc *self, GAsyncReadyCallback callback,
                                      gpointer user_data);
gboolean     esimd_euicc_close_finish (EsimdEuicc *self, GAsyncResult *res, GError **error);

G_END_DECLS
