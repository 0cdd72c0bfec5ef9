/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One eUICC on the bus: /org/freedesktop/Esimd1/Euicc/N with its profiles and
 * eIMs.  Every operation on it, whoever asks, goes through one chain:
 * argument validation, then a FIFO queue that runs one operation per eUICC at
 * a time (State "busy" meanwhile), refreshes what the operation changed and
 * completes the request through its callback.  Requests come from D-Bus
 * calls (bus/esimd-euicc-dbus.c: polkit first, then the queue) and from esimd
 * itself (esimd_euicc_request_async()); only the D-Bus side knows invocations.
 */
#pragma once

#include <gio/gio.h>

#include "esim-channel.h"
#include "esimd-auth.h"
#include "esimd-config.h"
#include "esimd-modem-watcher.h"
#include "esimd-store.h"

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
	ESIMD_OP_DOWNLOAD_PROFILE,
	ESIMD_OP_PROCESS_NOTIFICATIONS,
	ESIMD_OP_POLL,
} EsimdOpKind;

#define ESIMD_TYPE_EUICC (esimd_euicc_get_type ())
G_DECLARE_FINAL_TYPE (EsimdEuicc, esimd_euicc, ESIMD, EUICC, GObject)

/* One operation asked of an eUICC. */
typedef struct _EsimdRequest EsimdRequest;

/*
 * Called exactly once per request: when the operation ran
 * (@error NULL on success; @reply its answer, aa{sv} for list-notifications,
 * o for download-profile, else NULL), or when the request was refused before it reached the card
 * (invalid arguments, queue full, eUICC gone, esimd stopping: LastError is
 * then left as it was).  A request whose eUICC is removed while it waits or
 * runs is completed then with the removal's reason; the operation that was
 * running ends later without a second call.  @error is as the operation
 * failed (not yet mapped onto ESIMD_ERROR).
 */
typedef void (*EsimdRequestCallback) (EsimdRequest *request, const GError *error,
                                      GVariant *reply, gpointer user_data);

/* @channel may be NULL for a modem eUICC whose port is opened per operation (AT). */
EsimdEuicc  *esimd_euicc_new (GDBusObjectManagerServer *object_manager, EsimdAuth *auth,
                              const EsimdConfig *config, EsimChannel *channel);
const gchar *esimd_euicc_get_path (EsimdEuicc *self);
const gchar *esimd_euicc_get_log_id (EsimdEuicc *self);

/* The state directory: with it, the eUICC delivers its notifications
 * (core/esimd-notify-queue.h) and keeps their state there; without it
 * (before, or in tests of other parts) it does not. */
void         esimd_euicc_set_store (EsimdEuicc *self, EsimdStore *store);

/* Opens the ISD-R and reads everything the bus shows (EID, EUICCInfo2,
 * addresses, profiles, notification count, eIMs).  On failure the eUICC is
 * still usable for export, with State "error" and LastError set. */
void         esimd_euicc_probe_async (EsimdEuicc *self, GCancellable *cancellable,
                                      GAsyncReadyCallback callback, gpointer user_data);
gboolean     esimd_euicc_probe_finish (EsimdEuicc *self, GAsyncResult *res, GError **error);

/* Puts the eUICC object on the bus (its profiles and eIMs already are). */
void         esimd_euicc_export (EsimdEuicc *self);
gboolean     esimd_euicc_is_exported (EsimdEuicc *self);

/* A request for the operation @kind: @iccid for profile operations, @arg the
 * other argument (options a{sv}, nickname s, config ay, seq t,
 * (activation code, options) (sa{sv}) for a download, for
 * process-notifications b: every notification now, whatever its next
 * attempt, for poll s: the eimId, "" for every eIM; NULL when none, floating
 * references are sunk). */
EsimdRequest *esimd_request_new (EsimdEuicc *euicc, EsimdOpKind kind, const gchar *iccid,
                                 GVariant *arg, EsimdRequestCallback callback,
                                 gpointer user_data);

/* Validates @request and queues it behind the others; takes it.  A refusal
 * calls its callback before this returns.  No authorisation here: the D-Bus
 * layer checks polkit before it submits. */
void         esimd_euicc_submit_request (EsimdEuicc *self, EsimdRequest *request);

/* esimd's own operations (the poller, push, notification delivery): the same
 * validation and queue as D-Bus calls, in order with them, but no polkit
 * check: esimd acts on its own authority, and no client reaches this entry
 * point.  There is no cancellable: a queued request runs or is refused. */
void         esimd_euicc_request_async (EsimdEuicc *self, EsimdOpKind kind, const gchar *iccid,
                                        GVariant *arg, GAsyncReadyCallback callback,
                                        gpointer user_data);
/* @reply (nullable) gets the operation's answer (a{sv} for process-notifications),
 * or NULL when it has none. */
gboolean     esimd_euicc_request_finish (EsimdEuicc *self, GAsyncResult *res, GVariant **reply,
                                         GError **error);

/* The operation's name in Progress signals and logs ("enable-profile"…). */
const gchar *esimd_op_get_name (EsimdOpKind kind);
/* Requests waiting behind the running one. */
guint        esimd_euicc_get_n_waiting (EsimdEuicc *self);
/* Whether the eUICC has eIM @eim_id (NULL: any) configured, and polls it. */
gboolean     esimd_euicc_has_eim (EsimdEuicc *self, const gchar *eim_id);
/* Asks for a poll of @eim_id (NULL: every eIM) soon, as esimd's own request:
 * a push, an SMS wake-up, the modem's data connection coming up. */
void         esimd_euicc_poll_soon (EsimdEuicc *self, const gchar *eim_id);
/* The modem's data connection came up. */
void         esimd_euicc_data_connected (EsimdEuicc *self);
/* The authority the eUICC's D-Bus methods are checked against. */
EsimdAuth   *esimd_euicc_get_auth (EsimdEuicc *self);

/*
 * The modem link of an eUICC found through ModemManager: sets Transport,
 * Modem, ModemModel and Slot and the lifecycle policy of the modem.  With
 * @per_access_channel (AT) the eUICC has no channel between operations: each
 * operation inhibits the modem, opens the port, runs, closes and releases.
 *
 * Signal "modem-lost": the modem did not come back after esimd released it
 * (or after a switch); the owner removes the eUICC.
 */
void         esimd_euicc_set_modem (EsimdEuicc *self, EsimdModemWatcher *watcher,
                                    const EsimdModemEuicc *info, gboolean per_access_channel);
const EsimdModemEuicc *esimd_euicc_get_modem (EsimdEuicc *self);
/* ModemManager shows the eUICC again (maybe under a new modem path); @channel
 * (nullable) replaces the channel when the port changed. */
void         esimd_euicc_modem_appeared (EsimdEuicc *self, const EsimdModemEuicc *info,
                                         EsimChannel *channel);
/* ModemManager no longer shows the eUICC.  TRUE when esimd caused it (its
 * inhibit, a switch or reset it runs) and the eUICC stays; FALSE: remove it. */
gboolean     esimd_euicc_modem_vanished (EsimdEuicc *self);

/* For an eUICC in a card reader (PC/SC): the reader reports its card gone
 * (State "absent" at once; an operation on it fails) or back (read again as
 * soon as no operation runs, without waiting for a client). */
void         esimd_euicc_set_card_present (EsimdEuicc *self, gboolean present);

/* Takes the eUICC off the bus now: queued operations and the running one are
 * answered with @reason (normalised), the running one is cancelled, then the
 * ISD-R is closed and the channel dropped. */
void         esimd_euicc_remove_async (EsimdEuicc *self, const GError *reason,
                                       GAsyncReadyCallback callback, gpointer user_data);
gboolean     esimd_euicc_remove_finish (EsimdEuicc *self, GAsyncResult *res, GError **error);

/* Refuses queued operations, cancels the running one and closes the ISD-R. */
void         esimd_euicc_close_async (EsimdEuicc *self, GAsyncReadyCallback callback,
                                      gpointer user_data);
gboolean     esimd_euicc_close_finish (EsimdEuicc *self, GAsyncResult *res, GError **error);

G_END_DECLS
