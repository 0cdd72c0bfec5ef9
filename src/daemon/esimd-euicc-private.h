/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared by esimd-euicc.c, esimd-euicc-probe.c and esimd-euicc-ops.c. */
#pragma once

#include "esim-apdu.h"
#include "esim-es10.h"
#include "esimd-euicc.h"
#include "esimd-gdbus.h"

G_BEGIN_DECLS

typedef enum {
	ESIMD_REFRESH_INFO          = 1 << 0, /* EID (once) and EUICCInfo2 */
	ESIMD_REFRESH_ADDRESSES     = 1 << 1, /* default SM-DP+ address */
	ESIMD_REFRESH_PROFILES      = 1 << 2,
	ESIMD_REFRESH_NOTIFICATIONS = 1 << 3, /* pending notification count */
	ESIMD_REFRESH_EIMS          = 1 << 4,
	ESIMD_REFRESH_ALL           = 0x1f,
} EsimdRefreshFlags;

/* One method call on its way through the chain. */
typedef struct {
	EsimdEuicc            *euicc;
	GDBusMethodInvocation *invocation;
	EsimdOpKind            kind;
	gchar                 *iccid;
	GVariant              *arg;
	/* validated arguments */
	gboolean               refresh;
	gchar                 *nickname;
	guint64                seq;
	guint                  reset_options;
	GBytes                *config_der;
	/* the operation's result for methods that return one */
	GVariant              *reply;
} EsimdRequest;

typedef struct {
	const gchar *name;          /* for Progress and logs */
	const gchar *action;        /* polkit action; NULL = free */
	guint        refresh_flags; /* what to read again after success */
} EsimdOpInfo;

struct _EsimdEuicc {
	GObject                   parent_instance;
	guint                     id;
	gchar                    *path;
	gchar                    *log_id;
	GDBusObjectManagerServer *object_manager;
	EsimdAuth                *auth;
	gboolean                  refresh_default;
	EsimIsdr                 *isdr;
	EsimEs10Variant           variant;
	gchar                    *eid;
	gboolean                  healthy;   /* the last refresh worked */
	gboolean                  probing;   /* the first probe runs: operations wait */
	EsimdGdbusObjectSkeleton *object;
	EsimdGdbusEuicc          *skeleton;
	gboolean                  exported;
	GHashTable               *profiles;  /* ICCID -> EsimdProfile */
	GHashTable               *eims;      /* eimId -> EsimdEim */
	GQueue                    requests;  /* EsimdRequest*, waiting */
	EsimdRequest             *current;
	GCancellable             *cancellable;
	GTask                    *close_task;
};

const EsimdOpInfo *esimd_op_get_info (EsimdOpKind kind);
void     esimd_request_free (EsimdRequest *request);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsimdRequest, esimd_request_free)

/* esimd-euicc-ops.c: argument checks that need no card, and the operation. */
gboolean esimd_request_validate (EsimdRequest *request, GError **error);
void     esimd_euicc_run_request_async (EsimdEuicc *self, EsimdRequest *request,
                                        GCancellable *cancellable, GAsyncReadyCallback callback,
                                        gpointer user_data);
gboolean esimd_euicc_run_request_finish (EsimdEuicc *self, GAsyncResult *res, GError **error);

/* esimd-euicc-probe.c: reads what @flags name and updates the bus objects. */
void     esimd_euicc_refresh_async (EsimdEuicc *self, guint flags, GCancellable *cancellable,
                                    GAsyncReadyCallback callback, gpointer user_data);
gboolean esimd_euicc_refresh_finish (EsimdEuicc *self, GAsyncResult *res, GError **error);

/* esimd-euicc.c: state updates from what the card said. */
void     esimd_euicc_set_eid (EsimdEuicc *self, const gchar *eid);
void     esimd_euicc_apply_info2 (EsimdEuicc *self, const EsimEuiccInfo2 *info);
void     esimd_euicc_apply_addresses (EsimdEuicc *self, const EsimConfiguredAddresses *addresses);
void     esimd_euicc_sync_profiles (EsimdEuicc *self, GPtrArray *infos);
void     esimd_euicc_sync_eims (EsimdEuicc *self, GPtrArray *configs);
void     esimd_euicc_set_pending_notifications (EsimdEuicc *self, guint count);
gboolean esimd_euicc_has_profile (EsimdEuicc *self, const gchar *iccid);

G_END_DECLS
