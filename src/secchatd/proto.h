/*
 * proto.h: the fixed-size payloads of secchatd's internal messages.
 *
 * These travel from the more privileged process to the less privileged one
 * (master to worker, master to broker), but are still length-checked.
 */
#ifndef SECCHAT_PROTO_H
#define SECCHAT_PROTO_H

#include <stdint.h>

#define PEER_NAME_MAX	64
/*
 * SESSION_STATS's rooms: names of at most 32 bytes joined by commas, at
 * most MaxRoomsPerSession (1024) of them.
 */
#define STATS_ROOMS_MAX		(1024 * 33)
/* ACCOUNTS' user names, '\n' between them, in one request. */
#define ACCOUNTS_NAMES_MAX	8192

struct worker_init {
	uint32_t	session;
	uint8_t		suites[4];
	uint8_t		nsuites;
	uint8_t		aesgcm_ok;
	uint8_t		pad[2];
	uint8_t		host_pub[32];
	uint32_t	login_grace;	/* s */
	uint32_t	max_auth_tries;
	uint32_t	max_message;
	uint32_t	flood_burst;
	uint32_t	flood_rate;
	uint32_t	send_queue;
	uint32_t	alive_interval;	/* s */
	uint32_t	alive_timeout;	/* s */
	int32_t		verbose;
	uint32_t	privsep_uid;	/* looked up by the master */
	uint32_t	privsep_gid;
	char		peer[PEER_NAME_MAX];
	char		privsep_user[64];
	char		privsep_dir[1024];
};

struct broker_init {
	uint32_t	history;
	uint32_t	send_queue;
	uint32_t	max_rooms;
	uint32_t	max_message;
	uint32_t	max_sessions;		/* these three size its memory */
	uint32_t	history_bytes;
	uint32_t	room_history_bytes;
	int32_t		verbose;
	char		privsep_user[64];
	char		privsep_dir[1024];
	/* Engine redis (doc/scaling.md); 0: the memory engine. */
	uint32_t	redis;
	char		node_name[65];		/* NodeName */
	char		redis_prefix[65];	/* RedisKeyPrefix */
};

/*
 * The broker's answer to STATS, after one SESSION_STATS per logged-in
 * session.  Counters run from the broker's start; the rates are the
 * average over the last ten whole seconds.
 */
struct broker_stats {
	uint32_t	token;		/* the STATS answered */
	uint32_t	sessions;	/* logged in, as the broker counts */
	uint32_t	rows;		/* SESSION_STATS sent before this */
	uint32_t	truncated;	/* 1: not every session had a row */
	uint32_t	messages_10s;	/* client messages, last 10 s */
	uint32_t	deliveries_10s;	/* server messages queued, last 10 s */
	uint64_t	messages;	/* client messages received */
	uint64_t	deliveries;	/* server messages queued to sessions */
	uint64_t	queue_drops;	/* sessions ended: send queue full */
};

#endif
