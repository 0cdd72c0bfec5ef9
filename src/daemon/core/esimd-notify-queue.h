/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The notification queue of one eUICC: when its pending notifications are
 * sent (flows/esim-notify.h, the direct route), and what esimd remembers of
 * them across restarts (core/esimd-store.h, in the state directory).
 *
 * A round runs as esimd's own request in the eUICC's queue
 * (ESIMD_OP_PROCESS_NOTIFICATIONS: never in the middle of a user's
 * operation, no polkit):
 *   - when the pending count goes up (an install, enable, disable or delete
 *     left notifications; at start, a card that has some);
 *   - when the earliest retry is due: one timer per eUICC, none while
 *     nothing is due, so an idle daemon does not wake up;
 *   - when a client asks (ProcessNotifications(): every notification now).
 * A round that fails as a whole (the card failed) is tried again with the
 * same backoff as a notification.  With [notifications] Automatic=false only
 * the clients' rounds run.  The timer stops while the eUICC is
 * absent or in error, or once esimd stops, and resumes when it is back.
 *
 * A card with an eIM (its eIM list not empty) has its notifications routed
 * through the eIM (SGP.32 §3.7); esimd keeps them queued on the card for
 * that route and never sends them directly.
 */
#pragma once

#include <gio/gio.h>

#include "esim-es10.h"
#include "esimd-config.h"
#include "esimd-euicc.h"
#include "esimd-store.h"

G_BEGIN_DECLS

typedef struct _EsimdNotifyQueue EsimdNotifyQueue;

/* @euicc owns the queue; @store and @config outlive it. */
EsimdNotifyQueue *esimd_notify_queue_new (EsimdEuicc *euicc, EsimdStore *store,
                                          const EsimdConfig *config);
void              esimd_notify_queue_free (EsimdNotifyQueue *self);

/* The eUICC read its pending count: a rise asks for a round. */
void              esimd_notify_queue_count_changed (EsimdNotifyQueue *self, guint old_count,
                                                    guint new_count);
/* The eUICC's state or eIM list may have changed: the timer follows. */
void              esimd_notify_queue_update (EsimdNotifyQueue *self);

/* A round on the eUICC's open ISD-R (the operation behind
 * ESIMD_OP_PROCESS_NOTIFICATIONS); @force: every notification now.  The
 * answer is the a{sv} of ProcessNotifications(). */
void              esimd_notify_queue_round_async (EsimdNotifyQueue *self, gboolean force,
                                                  GCancellable *cancellable,
                                                  GAsyncReadyCallback callback,
                                                  gpointer user_data);
GVariant         *esimd_notify_queue_round_finish (EsimdNotifyQueue *self, GAsyncResult *res,
                                                   GError **error);

/* Adds ListNotifications()' keys of delivery for @seq to @dict (a{sv}):
 * "state", "route", "attempts", "next-attempt", "last-error" (when known). */
void              esimd_notify_queue_describe (EsimdNotifyQueue *self, guint64 seq,
                                               GVariantBuilder *dict);

G_END_DECLS
