"""API keys and usage plans: which keys may call which API stages (`x-api-key`), each key
throttled and given a quota by its plan."""

from __future__ import annotations

import secrets
from typing import Any

from cloudlet.services.apigateway.core import RestApiCore, bad_request, conflict, not_found
from cloudlet.services.apigateway.ids import new_id, now
from cloudlet.services.apigateway.paging import rest_api_page
from cloudlet.services.apigateway.patches import apply
from cloudlet.services.base import RequestContext


class UsageOperations(RestApiCore):
    # -- API keys ------------------------------------------------------------------------------

    async def create_api_key(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        value = request.get("value") or secrets.token_urlsafe(30)[:40]
        if len(value) < 20:
            raise bad_request("API Key value should be at least 20 characters")
        if any(k["value"] == value for k in self.keys.of(ctx.account_id, ctx.region)):
            raise conflict("API Key already exists")
        created = now().timestamp()
        key: dict[str, Any] = {
            "id": new_id(10),
            "value": value,
            "name": request.get("name") or "",
            "enabled": bool(request.get("enabled", False)),
            "createdDate": created,
            "lastUpdatedDate": created,
            "stageKeys": [
                f"{s['restApiId']}/{s['stageName']}" for s in request.get("stageKeys") or []
            ],
            "tags": request.get("tags") or {},
        }
        for name in ("description", "customerId"):
            if request.get(name) is not None:
                key[name] = request[name]
        await self.keys.save((ctx.account_id, ctx.region, key["id"]), key)
        return key

    def _key(self, ctx: RequestContext, ident: str) -> dict[str, Any]:
        key = self.keys.get((ctx.account_id, ctx.region, ident))
        if key is None:
            raise not_found("API Key", ident)
        return key

    def get_api_key(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        key = dict(self._key(ctx, request["apiKey"]))
        if not request.get("includeValue"):
            key.pop("value")
        return key

    def get_api_keys(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        keys = [
            k if request.get("includeValues") else {n: v for n, v in k.items() if n != "value"}
            for k in self.keys.of(ctx.account_id, ctx.region)
            if not request.get("nameQuery") or k["name"].startswith(request["nameQuery"])
        ]
        return rest_api_page(keys, request)

    async def update_api_key(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        key = dict(self._key(ctx, request["apiKey"]))
        apply(
            key,
            request.get("patchOperations") or [],
            ("name", "description", "enabled", "customerId"),
        )
        key["lastUpdatedDate"] = now().timestamp()
        await self.keys.save((ctx.account_id, ctx.region, key["id"]), key)
        return key

    async def delete_api_key(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self._key(ctx, request["apiKey"])
        await self.keys.delete((ctx.account_id, ctx.region, request["apiKey"]))
        return {}

    # -- usage plans ---------------------------------------------------------------------------

    async def create_usage_plan(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        plan: dict[str, Any] = {
            "id": new_id(6),
            "name": request["name"],
            "apiStages": request.get("apiStages") or [],
            "tags": request.get("tags") or {},
            "keys": [],
        }
        for name in ("description", "throttle", "quota"):
            if request.get(name) is not None:
                plan[name] = request[name]
        self._check_plan(ctx, plan)
        await self.plans.save((ctx.account_id, ctx.region, plan["id"]), plan)
        return _plan(plan)

    def _check_plan(self, ctx: RequestContext, plan: dict[str, Any]) -> None:
        for stage in plan["apiStages"]:
            document = self.peek(ctx, stage["apiId"])
            if stage["stage"] not in document["stages"]:
                raise bad_request("Invalid stage identifier specified")
        quota = plan.get("quota")
        if quota is not None and quota.get("period") not in ("DAY", "WEEK", "MONTH"):
            raise bad_request("Invalid quota period specified. Valid values are DAY, WEEK, MONTH")

    def _plan(self, ctx: RequestContext, ident: str) -> dict[str, Any]:
        plan = self.plans.get((ctx.account_id, ctx.region, ident))
        if plan is None:
            raise not_found("Usage Plan ID", ident)
        return plan

    def get_usage_plan(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return _plan(self._plan(ctx, request["usagePlanId"]))

    def get_usage_plans(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        plans = [_plan(p) for p in self.plans.of(ctx.account_id, ctx.region)]
        if request.get("keyId"):
            plans = [p for p in plans if request["keyId"] in self._plan(ctx, p["id"])["keys"]]
        return {"items": plans}

    async def update_usage_plan(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        plan = dict(self._plan(ctx, request["usagePlanId"]))
        plan["apiStages"] = list(plan["apiStages"])
        operations = []
        for op in request.get("patchOperations") or []:
            if op.get("path") == "/apiStages":
                api_id, _, stage = str(op.get("value", "")).partition(":")
                entry = {"apiId": api_id, "stage": stage}
                if op.get("op") == "add":
                    plan["apiStages"].append(entry)
                else:
                    plan["apiStages"] = [
                        s for s in plan["apiStages"] if (s["apiId"], s["stage"]) != (api_id, stage)
                    ]
                continue
            operations.append(op)
        plan.setdefault("throttle", {})
        plan.setdefault("quota", {})
        apply(plan, operations, ("name", "description", "throttle", "quota"))
        for name in ("burstLimit",):
            if isinstance(plan["throttle"].get(name), str):
                plan["throttle"][name] = int(plan["throttle"][name])
        for name in ("rateLimit",):
            if isinstance(plan["throttle"].get(name), str):
                plan["throttle"][name] = float(plan["throttle"][name])
        for name in ("limit", "offset"):
            if isinstance(plan["quota"].get(name), str):
                plan["quota"][name] = int(plan["quota"][name])
        if not plan["throttle"]:
            del plan["throttle"]
        if not plan["quota"]:
            del plan["quota"]
        self._check_plan(ctx, plan)
        await self.plans.save((ctx.account_id, ctx.region, plan["id"]), plan)
        return _plan(plan)

    async def delete_usage_plan(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        self._plan(ctx, request["usagePlanId"])
        await self.plans.delete((ctx.account_id, ctx.region, request["usagePlanId"]))
        return {}

    async def create_usage_plan_key(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        plan = dict(self._plan(ctx, request["usagePlanId"]))
        if request["keyType"] != "API_KEY":
            raise bad_request("Invalid key type specified. Must be API_KEY")
        key = self._key(ctx, request["keyId"])
        if key["id"] in plan["keys"]:
            raise conflict(
                f"Usage Plan {plan['id']} cannot be added because API Key {key['id']} cannot "
                "reference multiple Usage Plans with the same API Stage"
            )
        plan["keys"] = [*plan["keys"], key["id"]]
        await self.plans.save((ctx.account_id, ctx.region, plan["id"]), plan)
        return _plan_key(key)

    def get_usage_plan_keys(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        plan = self._plan(ctx, request["usagePlanId"])
        keys = [self.keys.get((ctx.account_id, ctx.region, i)) for i in plan["keys"]]
        return {"items": [_plan_key(k) for k in keys if k is not None]}

    def get_usage_plan_key(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        plan = self._plan(ctx, request["usagePlanId"])
        if request["keyId"] not in plan["keys"]:
            raise not_found("API Key", request["keyId"])
        return _plan_key(self._key(ctx, request["keyId"]))

    async def delete_usage_plan_key(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        plan = dict(self._plan(ctx, request["usagePlanId"]))
        if request["keyId"] not in plan["keys"]:
            raise not_found("API Key", request["keyId"])
        plan["keys"] = [k for k in plan["keys"] if k != request["keyId"]]
        await self.plans.save((ctx.account_id, ctx.region, plan["id"]), plan)
        return {}


def _plan(plan: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in plan.items() if k != "keys"}


def _plan_key(key: dict[str, Any]) -> dict[str, Any]:
    return {"id": key["id"], "type": "API_KEY", "value": key["value"], "name": key["name"]}
