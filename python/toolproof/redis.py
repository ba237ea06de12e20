"""Guards shared by every process through Redis: ``RedisCoordinator``.

The rules are the local coordinator's (``toolproof.admission``), written as Lua so that Redis runs
each call's whole check atomically: idempotency key, cache entry, circuit breaker, concurrency
slot and every rate limit in one script, one round trip; a batch's admissions go in one
pipeline, one round trip for the batch. Time is Redis's own clock, so processes on machines whose
clocks disagree still share one schedule.

Keys live under ``{prefix}:{tool}`` (the braces make every key of a tool hash to one Redis Cluster
slot): ``:rate:<count>/<period>`` (a GCRA arrival time), ``:slots`` (a sorted set of leases by
expiry), ``:breaker`` and ``:failures``, ``:cache:<digest>`` and ``:idem:<digest>``. Every key
expires on its own once it has nothing to remember.

When Redis does not answer within ``timeout`` seconds, every call of the batch gets a decision at
once: refused with ``coordinator_unavailable`` (``on_unavailable="closed"``, the default) or
admitted without guards (``"open"``). For ``recheck`` seconds after a failure, calls are decided
the same way without trying Redis, so an outage costs no call more than one timeout.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import os
import time
import weakref
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from toolproof._core import AdmissionRequest, Decision, Guards, Outcome
from toolproof.codes import ResultCode

try:
    import redis as _redis
    import redis.asyncio as _aioredis
    from redis.asyncio.retry import Retry as _AsyncRetry
    from redis.backoff import NoBackoff
    from redis.exceptions import NoScriptError, RedisError
    from redis.retry import Retry
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError("toolproof.redis needs the redis client: pip install 'toolproof[redis]'") from error

if TYPE_CHECKING:
    from redis.asyncio.client import Pipeline as AsyncPipeline
    from redis.client import Pipeline

__all__ = ["RedisCoordinator"]

Unavailable = Literal["closed", "open"]

# Every script reads the time from Redis in milliseconds and answers with strings: Redis turns a
# Lua number into an integer, which would cut fractions of a millisecond. A script is sent only
# the keys and numbers its call's guards need (a call under one rate limit sends one key), since
# every argument costs time to send and to read.
_CLOCK = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + tonumber(clock[2]) / 1000
local function ms(value) return string.format('%.3f', value) end
local function has(flags, flag) return string.find(flags, flag, 1, true) ~= nil end
"""

# ARGV: flags ('s' concurrency slots, 'b' breaker, 'k' cache, 'i' idempotency, '-' none), max
# wait, the emission interval and tolerance of each rate limit, then only when a flag is set the
# token, lease and max concurrency; durations in ms.
# KEYS, each only when its flag is set: slots; breaker, failures; cache entry; idempotency entry;
# then one key per rate limit.
_ADMIT = (
    _CLOCK
    + """
local flags, max_wait = ARGV[1], tonumber(ARGV[2])
local holds = flags ~= '-'
local token, lease, cap
if holds then token, lease, cap = ARGV[#ARGV - 2], tonumber(ARGV[#ARGV - 1]), tonumber(ARGV[#ARGV]) end
local n = 0
local function key() n = n + 1 return KEYS[n] end
local slots = has(flags, 's') and key()
local breaker = has(flags, 'b') and key()
if breaker then key() end
local cache = has(flags, 'k') and key()
local idem = has(flags, 'i') and key()

if idem then
  local entry = redis.call('HMGET', idem, 's', 'v')
  if entry[1] == 'r' then return {'duplicate', entry[2]} end
  if entry[1] == 'c' then
    return {'refused', 'in_progress', ms(math.min(redis.call('PTTL', idem), 100))}
  end
end
if cache then
  local entry = redis.call('HMGET', cache, 's', 'v')
  if entry[1] == 'r' then return {'cached', entry[2]} end
  if entry[1] == 'c' then return {'wait', ms(math.min(redis.call('PTTL', cache), 20))} end
end
local probe = false
if breaker then
  local state = redis.call('HMGET', breaker, 'state', 'until', 'expiry')
  if state[1] == 'open' then
    local opened_until = tonumber(state[2])
    if now < opened_until then return {'refused', 'circuit_open', ms(opened_until - now)} end
    probe = true
  elseif state[1] == 'probing' then
    local expiry = tonumber(state[3])
    if now < expiry then return {'refused', 'circuit_open', ms(math.min(50, expiry - now))} end
    probe = true
  end
end
if slots then
  redis.call('ZREMRANGEBYSCORE', slots, '-inf', now)
  if redis.call('ZCARD', slots) >= cap then
    local earliest = redis.call('ZRANGE', slots, 0, 0, 'WITHSCORES')
    return {'wait', ms(math.max(0, math.min(10, tonumber(earliest[2]) - now)))}
  end
end
local rates = (#ARGV - (holds and 5 or 2)) / 2
local wait, arrivals = 0, {}
for i = 1, rates do
  local arrival = math.max(tonumber(redis.call('GET', KEYS[n + i]) or now), now)
  arrivals[i] = arrival
  wait = math.max(wait, arrival - tonumber(ARGV[2 + 2 * i]) - now)
end
-- Below a microsecond the difference is rounding, not waiting.
if wait > 0.001 then
  if wait <= max_wait then return {'wait', ms(wait)} end
  return {'refused', 'rate_limited', ms(wait)}
end

for i = 1, rates do
  local arrival = arrivals[i] + tonumber(ARGV[1 + 2 * i])
  redis.call('SET', KEYS[n + i], ms(arrival), 'PX', math.ceil(arrival - now) + 1)
end
if slots then
  redis.call('ZADD', slots, now + lease, token)
  redis.call('PEXPIRE', slots, math.ceil(lease) + 1000)
end
if probe then
  redis.call('HSET', breaker, 'state', 'probing', 'token', token, 'expiry', ms(now + lease))
end
for _, entry in ipairs({cache or false, idem or false}) do
  if entry then
    redis.call('HSET', entry, 's', 'c', 't', token)
    redis.call('PEXPIRE', entry, math.ceil(lease))
  end
end
return probe and 'probe' or 'admitted'
"""
)

# ARGV: token, flags ('s' slot held, 'p' probe, 'b' breaker, 'f' retryable failure, 'o' ok,
# 'k' cache, 'i' idempotency), result, cache ttl, idempotency ttl, failures, window, cooldown (ms).
# KEYS, each only when its flag is set: slots; breaker, failures; cache entry; idempotency entry.
_COMPLETE = (
    _CLOCK
    + """
local token, flags, result = ARGV[1], ARGV[2], ARGV[3]
local cache_ttl, idem_ttl = tonumber(ARGV[4]), tonumber(ARGV[5])
local threshold, window, cooldown = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local failed, ok = has(flags, 'f'), has(flags, 'o')
local n = 0
local function key() n = n + 1 return KEYS[n] end
local slots = has(flags, 's') and key()
local breaker = has(flags, 'b') and key()
local failures = breaker and key()
local cache = has(flags, 'k') and key()
local idem = has(flags, 'i') and key()

if slots then redis.call('ZREM', slots, token) end
if breaker then
  local state = redis.call('HMGET', breaker, 'state', 'token')
  if has(flags, 'p') and state[1] == 'probing' and state[2] == token then
    redis.call('DEL', breaker, failures)
    if failed then redis.call('HSET', breaker, 'state', 'open', 'until', ms(now + cooldown)) end
  elseif failed and not state[1] then
    redis.call('ZREMRANGEBYSCORE', failures, '-inf', now - window)
    redis.call('ZADD', failures, now, token)
    redis.call('PEXPIRE', failures, math.ceil(window))
    if redis.call('ZCARD', failures) >= threshold then
      redis.call('DEL', failures)
      redis.call('HSET', breaker, 'state', 'open', 'until', ms(now + cooldown))
    end
  end
end
local function settle(entry, ttl)
  local held = redis.call('HMGET', entry, 's', 't')
  if held[1] ~= 'c' or held[2] ~= token then return end
  if ok then
    redis.call('HSET', entry, 's', 'r', 'v', result)
    redis.call('HDEL', entry, 't')
    redis.call('PEXPIRE', entry, math.ceil(ttl))
  else
    redis.call('DEL', entry)
  end
end
if cache then settle(cache, cache_ttl) end
if idem then settle(idem, idem_ttl) end
return 'ok'
"""
)

# ARGV: token, flags ('s' slot, 'p' probe, 'k' cache, 'i' idempotency), lease (ms).
# KEYS, each only when its flag is set: slots; breaker; cache entry; idempotency entry.
_RENEW = (
    _CLOCK
    + """
local token, flags, lease = ARGV[1], ARGV[2], tonumber(ARGV[3])
local n = 0
local function key() n = n + 1 return KEYS[n] end
local slots = has(flags, 's') and key()
local breaker = has(flags, 'p') and key()
local cache = has(flags, 'k') and key()
local idem = has(flags, 'i') and key()
if slots then
  local expiry = redis.call('ZSCORE', slots, token)
  if expiry and tonumber(expiry) > now then
    redis.call('ZADD', slots, 'XX', now + lease, token)
    redis.call('PEXPIRE', slots, math.ceil(lease) + 1000)
  end
end
if breaker and redis.call('HGET', breaker, 'token') == token then
  redis.call('HSET', breaker, 'expiry', ms(now + lease))
end
for _, entry in ipairs({cache or false, idem or false}) do
  if entry and redis.call('HGET', entry, 't') == token then
    redis.call('PEXPIRE', entry, math.ceil(lease))
  end
end
return 'ok'
"""
)

_SCRIPTS = {"admit": _ADMIT, "complete": _COMPLETE, "renew": _RENEW}
_SHAS = {name: hashlib.sha1(text.encode()).hexdigest() for name, text in _SCRIPTS.items()}
# The token of an admission that holds nothing to give back: rate limits alone, or admitted
# without Redis.
_NOTHING_HELD = ""
_MAX_PLANS = 4096
# One script run: its name, its keys, its arguments.
_ScriptCall = tuple[str, list[str], list[str]]


def _raise_failed(replies: list[Any]) -> list[Any]:
    """A pipeline's replies, or the first error among them raised."""
    for reply in replies:
        if isinstance(reply, Exception):
            raise reply
    return replies


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _digest(key: str) -> str:
    return hashlib.blake2b(key.encode(), digest_size=16).hexdigest()


class _Plan:
    """A tool's keys and the script arguments its guards fix, built once per ``Guards``."""

    __slots__ = (
        "base",
        "breaker",
        "cache",
        "cap",
        "complete",
        "failures",
        "flags",
        "front_keys",
        "has_breaker",
        "holds_nothing",
        "lease",
        "leased",
        "max_wait",
        "plain_keys",
        "rate_args",
        "rate_keys",
        "slots",
    )

    def __init__(self, prefix: str, guards: Guards) -> None:
        self.base = f"{prefix}:{{{guards.tool}}}"
        self.slots = f"{self.base}:slots"
        self.breaker = f"{self.base}:breaker"
        self.failures = f"{self.base}:failures"
        self.rate_keys = [f"{self.base}:rate:{count}/{period!r}" for count, period in guards.rates]
        self.leased = guards.max_concurrency is not None
        self.cache = guards.cache_ttl is not None
        breaker = guards.circuit_breaker
        self.has_breaker = breaker is not None
        self.flags = ("s" if self.leased else "") + ("b" if self.has_breaker else "")
        self.front_keys = ([self.slots] if self.leased else []) + (
            [self.breaker, self.failures] if self.has_breaker else []
        )
        self.plain_keys = self.front_keys + self.rate_keys
        # Decisions are immutable: every admission that holds nothing can be the same one.
        self.holds_nothing = Decision.admitted(guards, _NOTHING_HELD)
        self.lease = repr(guards.lease * 1000.0)
        self.cap = str(guards.max_concurrency or 0)
        self.max_wait = repr(guards.max_wait * 1000.0)
        self.rate_args: list[str] = []
        for count, period in guards.rates:
            emission = period * 1000.0 / count
            self.rate_args += [repr(emission), repr(period * 1000.0 - emission)]
        self.complete = [
            repr((guards.cache_ttl or 0.0) * 1000.0),
            repr(guards.idempotency_ttl * 1000.0),
            str(breaker.failures if breaker else 0),
            repr(breaker.window * 1000.0 if breaker else 0.0),
            repr(breaker.cooldown * 1000.0 if breaker else 0.0),
        ]

    def entry(self, kind: str, key: str) -> str:
        return f"{self.base}:{kind}:{_digest(key)}"


class RedisCoordinator:
    """Guards held across every process that shares one Redis and one ``prefix``.

    ``url_or_client``: a ``redis://`` URL, a ``redis.Redis`` (for ``admit``, ``complete``,
    ``renew``) or a ``redis.asyncio.Redis`` (for ``aadmit``, ``acomplete``, ``arenew``); from a URL
    both are made, with ``timeout`` as their socket timeouts and no retries of their own. A client
    passed in keeps its own settings; give it a socket timeout so an unreachable Redis cannot hold
    a call longer than that.

    ``counters()`` tells how many round trips were made and how many calls were decided without
    Redis.
    """

    def __init__(
        self,
        url_or_client: str | _redis.Redis | _aioredis.Redis,
        prefix: str = "toolproof",
        *,
        timeout: float = 0.5,
        on_unavailable: Unavailable = "closed",
        recheck: float = 1.0,
    ) -> None:
        if on_unavailable not in ("closed", "open"):
            raise ValueError(f"on_unavailable must be 'closed' or 'open', not {on_unavailable!r}")
        if not timeout > 0:
            raise ValueError(f"timeout must be a positive number of seconds, not {timeout!r}")
        self.prefix = prefix
        self.timeout = timeout
        self.on_unavailable: Unavailable = on_unavailable
        self.recheck = recheck
        self._sync: _redis.Redis | None = None
        self._async_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _aioredis.Redis] = (
            weakref.WeakKeyDictionary()
        )
        self._async_given: _aioredis.Redis | None = None
        self._url: str | None = None
        if isinstance(url_or_client, str):
            self._url = url_or_client
        elif isinstance(url_or_client, _aioredis.Redis):
            self._async_given = url_or_client
        elif isinstance(url_or_client, _redis.Redis):
            self._sync = url_or_client
        else:
            raise TypeError(
                "RedisCoordinator needs a redis:// URL, a redis.Redis or a redis.asyncio.Redis, "
                f"not {type(url_or_client).__name__}"
            )
        self._plans: dict[Guards, _Plan] = {}
        self._tokens = itertools.count(1)
        self._token_prefix = os.urandom(6).hex()
        self._down_until = 0.0
        self.round_trips = 0
        self.unavailable = 0

    def __repr__(self) -> str:
        return f"RedisCoordinator(prefix={self.prefix!r}, on_unavailable={self.on_unavailable!r})"

    def counters(self) -> dict[str, int]:
        """``round_trips`` to Redis, and ``unavailable``: calls decided without it."""
        return {"round_trips": self.round_trips, "unavailable": self.unavailable}

    # -- clients -------------------------------------------------------------------------------

    def _client(self) -> _redis.Redis:
        if self._sync is None:
            if self._url is None:
                raise TypeError(
                    "this RedisCoordinator was given an asyncio client: use aadmit, acomplete and arenew"
                )
            self._sync = _redis.Redis.from_url(
                self._url,
                socket_timeout=self.timeout,
                socket_connect_timeout=self.timeout,
                retry_on_timeout=False,
                retry=Retry(NoBackoff(), 0),
            )
        return self._sync

    def _aclient(self) -> _aioredis.Redis:
        if self._async_given is not None:
            return self._async_given
        if self._url is None:
            raise TypeError(
                "this RedisCoordinator was given a synchronous client: use admit, complete and renew"
            )
        loop = asyncio.get_running_loop()
        client = self._async_clients.get(loop)
        if client is None:
            client = _aioredis.Redis.from_url(
                self._url,
                socket_timeout=self.timeout,
                socket_connect_timeout=self.timeout,
                retry_on_timeout=False,
                retry=_AsyncRetry(NoBackoff(), 0),
            )
            self._async_clients[loop] = client
        return client

    # -- script calls ----------------------------------------------------------------------------

    def _plan(self, guards: Guards) -> _Plan:
        plan = self._plans.get(guards)
        if plan is None:
            if len(self._plans) >= _MAX_PLANS:
                self._plans.clear()
            plan = self._plans[guards] = _Plan(self.prefix, guards)
        return plan

    def _admit_call(self, request: AdmissionRequest) -> tuple[list[str], list[str], str]:
        plan = self._plan(request.guards)
        cache_key = request.cache_key if plan.cache else None
        idempotency_key = request.idempotency_key
        flags = plan.flags
        if cache_key is None and idempotency_key is None:
            keys = plan.plain_keys
        else:
            keys = list(plan.front_keys)
            if cache_key is not None:
                keys.append(plan.entry("cache", cache_key))
                flags += "k"
            if idempotency_key is not None:
                keys.append(plan.entry("idem", idempotency_key))
                flags += "i"
            keys += plan.rate_keys
        max_wait = request.max_wait
        wait = plan.max_wait if max_wait == request.guards.max_wait else repr(max_wait * 1000.0)
        if not flags:
            # Nothing to hold: rate limits alone need no token.
            return keys, ["-", wait, *plan.rate_args], _NOTHING_HELD
        token = f"{self._token_prefix}-{next(self._tokens)}"
        return keys, [flags, wait, *plan.rate_args, token, plan.lease, plan.cap], token

    def _decision(self, request: AdmissionRequest, token: str, reply: Any) -> Decision:
        if not isinstance(reply, list):
            guards = request.guards
            if not token:
                return self._plan(guards).holds_nothing
            return Decision.admitted(
                guards,
                token,
                leased=guards.max_concurrency is not None,
                probe=_text(reply) == "probe",
                cache_key=request.cache_key if guards.cache_ttl is not None else None,
                idempotency_key=request.idempotency_key,
            )
        kind = _text(reply[0])
        if kind == "wait":
            return Decision.wait(float(_text(reply[1])) / 1000.0)
        if kind == "refused":
            return Decision.refused(_text(reply[1]), float(_text(reply[2])) / 1000.0)
        if kind == "cached":
            return Decision.cached(_text(reply[1]))
        return Decision.duplicate(_text(reply[1]))

    def _complete_call(self, decision: Decision, outcome: Outcome) -> tuple[list[str], list[str]]:
        plan, token, keys, flags = self._holding(decision)
        if plan.has_breaker:
            keys += [plan.breaker, plan.failures]
            flags += "bp" if decision.probe else "b"
        flags += self._claims(plan, decision, keys)
        if outcome.ok:
            flags += "o"
        elif outcome.retryable_failure:
            flags += "f"
        return keys, [token, flags or "-", outcome.result or "", *plan.complete]

    def _renew_call(self, decision: Decision) -> tuple[list[str], list[str]]:
        plan, token, keys, flags = self._holding(decision)
        if decision.probe:
            keys.append(plan.breaker)
            flags += "p"
        flags += self._claims(plan, decision, keys)
        return keys, [token, flags or "-", plan.lease]

    def _holding(self, decision: Decision) -> tuple[_Plan, str, list[str], str]:
        """An admitted call's plan and token, with the key and flag of the slot it holds, if any."""
        guards = decision.guards
        assert guards is not None and decision.token is not None
        plan = self._plan(guards)
        if decision.leased:
            return plan, decision.token, [plan.slots], "s"
        return plan, decision.token, [], ""

    @staticmethod
    def _claims(plan: _Plan, decision: Decision, keys: list[str]) -> str:
        """The cache entry and idempotency claim an admitted call holds: their keys appended to
        ``keys``, their flags returned."""
        flags = ""
        if decision.cache_key is not None:
            keys.append(plan.entry("cache", decision.cache_key))
            flags += "k"
        if decision.idempotency_key is not None:
            keys.append(plan.entry("idem", decision.idempotency_key))
            flags += "i"
        return flags

    def _decisions(
        self,
        requests: Sequence[AdmissionRequest],
        prepared: list[tuple[list[str], list[str], str]],
        replies: list[Any],
    ) -> list[Decision]:
        return [
            self._decision(request, token, reply)
            for request, (_, _, token), reply in zip(requests, prepared, replies, strict=True)
        ]

    def _complete_calls(
        self, decisions: Sequence[Decision], outcomes: Sequence[Outcome]
    ) -> list[_ScriptCall]:
        """The script calls reporting how the admitted calls among ``decisions`` ended."""
        if len(decisions) != len(outcomes):
            raise ValueError(
                f"complete needs one outcome per decision: {len(decisions)} decisions, "
                f"{len(outcomes)} outcomes"
            )
        return [
            ("complete", *self._complete_call(decision, outcome))
            for decision, outcome in zip(decisions, outcomes, strict=True)
            if self._held(decision)
        ]

    def _renew_calls(self, decisions: Sequence[Decision]) -> list[_ScriptCall]:
        return [("renew", *self._renew_call(d)) for d in decisions if self._held(d)]

    @staticmethod
    def _held(decision: Decision) -> bool:
        return decision.kind == "admitted" and bool(decision.token)

    # -- when Redis does not answer ----------------------------------------------------------------

    def _is_down(self) -> bool:
        return time.monotonic() < self._down_until

    def _went_down(self) -> None:
        self._down_until = time.monotonic() + self.recheck

    def _without_redis(self, requests: Sequence[AdmissionRequest]) -> list[Decision]:
        self.unavailable += len(requests)
        if self.on_unavailable == "open":
            return [Decision.admitted(request.guards, _NOTHING_HELD) for request in requests]
        retry_after = max(self._down_until - time.monotonic(), 0.0) or self.recheck
        refusal = Decision.refused(ResultCode.COORDINATOR_UNAVAILABLE, retry_after)
        return [refusal] * len(requests)

    # -- synchronous -------------------------------------------------------------------------------

    def _run(self, calls: list[_ScriptCall]) -> list[Any]:
        """One pipeline, one round trip; loads the scripts once more if Redis lost them."""
        client = self._client()
        if len(calls) == 1:
            # One call needs no pipeline, and goes faster without.
            script, keys, args = calls[0]
            self.round_trips += 1
            try:
                return [client.evalsha(_SHAS[script], len(keys), *keys, *args)]
            except NoScriptError:
                self._load(client)
        for _ in range(2):
            pipe: Pipeline = client.pipeline(transaction=False)
            for script, keys, args in calls:
                pipe.evalsha(_SHAS[script], len(keys), *keys, *args)
            self.round_trips += 1
            replies = pipe.execute(raise_on_error=False)
            if not any(isinstance(reply, NoScriptError) for reply in replies):
                break
            self._load(client)
        return _raise_failed(replies)

    def _load(self, client: _redis.Redis) -> None:
        """Load the scripts into a Redis that does not have them (a restart empties its cache)."""
        for text in _SCRIPTS.values():
            client.script_load(text)
        self.round_trips += len(_SCRIPTS)

    def admit(self, requests: Sequence[AdmissionRequest]) -> list[Decision]:
        """One decision per request, in order, from one round trip to Redis."""
        if not requests:
            return []
        if self._down_until and self._is_down():
            return self._without_redis(requests)
        if len(requests) == 1:
            (request,) = requests
            keys, args, token = self._admit_call(request)
            try:
                (reply,) = self._run([("admit", keys, args)])
            except (RedisError, OSError):
                self._went_down()
                return self._without_redis(requests)
            return [self._decision(request, token, reply)]
        prepared = [self._admit_call(request) for request in requests]
        try:
            replies = self._run([("admit", keys, args) for keys, args, _ in prepared])
        except (RedisError, OSError):
            self._went_down()
            return self._without_redis(requests)
        return self._decisions(requests, prepared, replies)

    def complete(self, decisions: Sequence[Decision], outcomes: Sequence[Outcome]) -> None:
        """Report how admitted calls ended; one round trip for all of them. When Redis does not
        answer, slots and claims run out with their leases and the results are not kept."""
        calls = self._complete_calls(decisions, outcomes)
        if not calls:
            return
        try:
            self._run(calls)
        except (RedisError, OSError):
            self._went_down()
            self.unavailable += len(calls)

    def renew(self, decisions: Sequence[Decision]) -> None:
        """Extend the leases of admitted calls still running."""
        calls = self._renew_calls(decisions)
        if not calls:
            return
        try:
            self._run(calls)
        except (RedisError, OSError):
            self._went_down()

    # -- asyncio -----------------------------------------------------------------------------------

    async def _arun(self, calls: list[_ScriptCall]) -> list[Any]:
        client = self._aclient()
        for _ in range(2):
            pipe: AsyncPipeline = client.pipeline(transaction=False)
            for script, keys, args in calls:
                pipe.evalsha(_SHAS[script], len(keys), *keys, *args)
            self.round_trips += 1
            replies = await asyncio.wait_for(pipe.execute(raise_on_error=False), self.timeout)
            if not any(isinstance(reply, NoScriptError) for reply in replies):
                break
            for text in _SCRIPTS.values():
                await asyncio.wait_for(client.script_load(text), self.timeout)
            self.round_trips += len(_SCRIPTS)
        return _raise_failed(replies)

    async def aadmit(self, requests: Sequence[AdmissionRequest]) -> list[Decision]:
        """``admit`` for an event loop; never waits longer than ``timeout``."""
        if not requests:
            return []
        if self._down_until and self._is_down():
            return self._without_redis(requests)
        prepared = [self._admit_call(request) for request in requests]
        try:
            replies = await self._arun([("admit", keys, args) for keys, args, _ in prepared])
        except (RedisError, OSError, asyncio.TimeoutError):
            self._went_down()
            return self._without_redis(requests)
        return self._decisions(requests, prepared, replies)

    async def acomplete(self, decisions: Sequence[Decision], outcomes: Sequence[Outcome]) -> None:
        calls = self._complete_calls(decisions, outcomes)
        if not calls:
            return
        try:
            await self._arun(calls)
        except (RedisError, OSError, asyncio.TimeoutError):
            self._went_down()
            self.unavailable += len(calls)

    async def arenew(self, decisions: Sequence[Decision]) -> None:
        calls = self._renew_calls(decisions)
        if not calls:
            return
        try:
            await self._arun(calls)
        except (RedisError, OSError, asyncio.TimeoutError):
            self._went_down()
