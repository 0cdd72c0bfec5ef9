/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internals of the test SM-DP+ shared by its two files:
 *   esim-test-smdp.c        the object: PKI, orders, HTTPS, JSON framing, records
 *   esim-test-smdp-es9p.c   the ES9+ functions: checks, signatures, bound packages
 */
#pragma once

#include <gnutls/abstract.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "esim-bsp.h"
#include "esim-cert.h"
#include "esim-test-smdp.h"

G_BEGIN_DECLS

typedef struct {
	EsimCert         *cert;   /* NULL when the PKI has no such set */
	gnutls_privkey_t  key;
} SmdpSigner;

typedef struct {
	gchar                 *matching_id;   /* "" for a default order */
	gchar                 *eid;           /* NULL: any */
	gchar                 *confirmation_code;
	guint                  cc_left;
	gchar                 *iccid;
	gchar                 *name;
	gchar                 *provider;
	guint                  klass;         /* ProfileClass */
	gchar                 *header_iccid;  /* what the profile header says */
	GBytes                *upp;           /* the profile elements */
	gboolean               protect_in_advance;
	EsimBspKeys            ppk;
	GPtrArray             *ppp;           /* 86 segments protected with @ppk */
	EsimTestSmdpOrderState state;
} SmdpOrder;

typedef enum {
	SMDP_SESSION_INITIATED,      /* initiateAuthentication answered */
	SMDP_SESSION_AUTHENTICATED,  /* authenticateClient answered */
	SMDP_SESSION_BOUND,          /* a bound profile package was sent */
} SmdpSessionState;

typedef struct {
	gchar           *transaction_id;          /* upper-case hex */
	guint8           tid[16];
	guint8           server_challenge[16];
	SmdpSessionState state;
	SmdpSigner      *dp_auth;                 /* the certificates this session uses */
	SmdpSigner      *dp_pb;
	EsimCert        *ci;                      /* the eUICC chain must end here */
	EsimCert        *euicc_cert;
	gchar           *eid;
	SmdpOrder       *order;
	guint8           euicc_signature1[64];
	guint8           smdp_signature2[64];
} SmdpSession;

struct _EsimTestSmdp {
	GObject          parent_instance;
	gchar           *pki_dir;
	gchar           *host;
	gchar           *address;        /* host[:port] */
	guint16          port;
	gchar           *oid;            /* DPauth registeredID */
	GPtrArray       *cis;            /* EsimCert */
	SmdpSigner       dp_auth;
	SmdpSigner       dp_pb;
	SmdpSigner       foreign_auth;
	SmdpSigner       foreign_pb;
	SmdpSigner       expired_auth;
	GTlsCertificate *tls;
	SoupServer      *server;
	GPtrArray       *orders;         /* SmdpOrder */
	GHashTable      *sessions;       /* transaction ID -> SmdpSession */
	GPtrArray       *notifications;  /* EsimTestSmdpNotification */
	GPtrArray       *cancelled;      /* EsimTestSmdpCancelled */
	GHashTable      *request_counts; /* function -> count */
	GHashTable      *sockets;        /* GSocket that carried a request */
	GHashTable      *http_errors;    /* function -> status */
	guint            faults;
	guint            next_iccid;
	gchar           *device_tac;     /* the last deviceInfo's, as digits */
	gchar           *device_imei;
};

/* esim-test-smdp.c: JSON answers (SGP.22 §6.5.1.4 header.functionExecutionStatus) */
JsonBuilder *smdp_answer_begin (void);
void         smdp_answer_add_string (JsonBuilder *builder, const gchar *name, const gchar *value);
void         smdp_answer_add_base64 (JsonBuilder *builder, const gchar *name, const guint8 *data, gsize len);
gchar       *smdp_answer_finish (JsonBuilder *builder);
/* "Failed" with its statusCodeData, as pySim osmo-smdpp ApiError.encode() does. */
gchar       *smdp_answer_failed (const gchar *subject_code, const gchar *reason_code, const gchar *message);
SmdpOrder   *smdp_find_order (EsimTestSmdp *self, const gchar *matching_id, const gchar *eid);
void         smdp_session_free (SmdpSession *session);

/* esim-test-smdp-es9p.c: each takes the request object and returns the HTTP status,
 * *answer the JSON (NULL for none) */
typedef guint (*SmdpFunction) (EsimTestSmdp *self, JsonObject *request, gchar **answer);
guint smdp_initiate_authentication (EsimTestSmdp *self, JsonObject *request, gchar **answer);
guint smdp_authenticate_client (EsimTestSmdp *self, JsonObject *request, gchar **answer);
guint smdp_get_bound_profile_package (EsimTestSmdp *self, JsonObject *request, gchar **answer);
guint smdp_handle_notification (EsimTestSmdp *self, JsonObject *request, gchar **answer);
guint smdp_cancel_session (EsimTestSmdp *self, JsonObject *request, gchar **answer);
/* The profile elements of an order (ProfileHeader, PE-NonStandard, PE-End). */
GBytes *smdp_build_upp (const gchar *header_iccid, gsize size);

G_END_DECLS
