"""The AWS managed policies cloudlet knows: the ones serverless applications attach.

Each is `arn:aws:iam::aws:policy<path><name>`, readable with GetPolicy and GetPolicyVersion
in every account, and attachable to roles. Their documents list the actions the real
policies grant (the broad ones as `service:*`); like every policy here, they are stored,
not enforced.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
from dataclasses import dataclass
from functools import cached_property

AWS_POLICY_PREFIX = "arn:aws:iam::aws:policy"
CREATED = datetime.datetime(2015, 2, 6, 18, 40, tzinfo=datetime.UTC)

_LOGS = ("logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents")
_ENI = (
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
)
_DDB_STREAMS = (
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:ListStreams",
)

# path + name -> the actions it allows on every resource
_ACTIONS: dict[str, tuple[str, ...]] = {
    "/service-role/AWSLambdaBasicExecutionRole": _LOGS,
    "/service-role/AWSLambdaSQSQueueExecutionRole": (
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
        *_LOGS,
    ),
    "/service-role/AWSLambdaDynamoDBExecutionRole": (*_DDB_STREAMS, *_LOGS),
    "/service-role/AWSLambdaKinesisExecutionRole": (
        "kinesis:DescribeStream",
        "kinesis:DescribeStreamSummary",
        "kinesis:GetRecords",
        "kinesis:GetShardIterator",
        "kinesis:ListShards",
        "kinesis:ListStreams",
        "kinesis:SubscribeToShard",
        *_LOGS,
    ),
    "/service-role/AWSLambdaVPCAccessExecutionRole": (*_LOGS, *_ENI),
    "/service-role/AWSLambdaENIManagementAccess": _ENI,
    "/service-role/AWSLambdaRole": ("lambda:InvokeFunction",),
    "/service-role/AmazonAPIGatewayPushToCloudWatchLogs": (
        *_LOGS,
        "logs:DescribeLogGroups",
        "logs:DescribeLogStreams",
        "logs:GetLogEvents",
        "logs:FilterLogEvents",
    ),
    "/AWSLambdaExecute": ("logs:*", "s3:GetObject", "s3:PutObject"),
    "/AWSLambdaInvocation-DynamoDB": ("lambda:InvokeFunction", *_DDB_STREAMS),
    "/AWSLambda_FullAccess": ("lambda:*", "logs:*", "iam:PassRole", "states:*", "xray:*"),
    "/AWSLambda_ReadOnlyAccess": ("lambda:Get*", "lambda:List*", "logs:Describe*"),
    "/AWSXRayDaemonWriteAccess": (
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "xray:GetSamplingRules",
        "xray:GetSamplingTargets",
        "xray:GetSamplingStatisticSummaries",
    ),
    "/AmazonDynamoDBFullAccess": ("dynamodb:*", "dax:*", "application-autoscaling:*"),
    "/AmazonDynamoDBReadOnlyAccess": (
        "dynamodb:BatchGetItem",
        "dynamodb:Describe*",
        "dynamodb:GetItem",
        "dynamodb:List*",
        "dynamodb:Query",
        "dynamodb:Scan",
        "dynamodb:PartiQLSelect",
    ),
    "/AmazonSQSFullAccess": ("sqs:*",),
    "/AmazonSQSReadOnlyAccess": (
        "sqs:GetQueueAttributes",
        "sqs:GetQueueUrl",
        "sqs:ListDeadLetterSourceQueues",
        "sqs:ListQueues",
        "sqs:ListMessageMoveTasks",
        "sqs:ListQueueTags",
    ),
    "/AmazonSNSFullAccess": ("sns:*",),
    "/AmazonSNSReadOnlyAccess": ("sns:GetTopicAttributes", "sns:List*"),
    "/AmazonS3FullAccess": ("s3:*", "s3-object-lambda:*"),
    "/AmazonS3ReadOnlyAccess": ("s3:Get*", "s3:List*", "s3:Describe*"),
    "/AmazonKinesisFullAccess": ("kinesis:*",),
    "/AmazonKinesisReadOnlyAccess": ("kinesis:Get*", "kinesis:List*", "kinesis:Describe*"),
    "/AmazonEventBridgeFullAccess": ("events:*", "schemas:*", "scheduler:*", "pipes:*"),
    "/AmazonEventBridgeSchedulerFullAccess": ("scheduler:*",),
    "/AWSStepFunctionsFullAccess": ("states:*",),
    "/AWSStepFunctionsReadOnlyAccess": ("states:List*", "states:Describe*", "states:Get*"),
    "/CloudWatchLogsFullAccess": ("logs:*",),
    "/CloudWatchLogsReadOnlyAccess": ("logs:Describe*", "logs:Get*", "logs:List*"),
    "/CloudWatchFullAccess": ("cloudwatch:*", "logs:*", "events:*", "sns:*"),
    "/AmazonAPIGatewayAdministrator": ("apigateway:*",),
    "/AmazonAPIGatewayInvokeFullAccess": ("execute-api:Invoke", "execute-api:ManageConnections"),
    "/AWSCloudFormationFullAccess": ("cloudformation:*",),
    "/SecretsManagerReadWrite": ("secretsmanager:*",),
    "/AmazonSSMReadOnlyAccess": ("ssm:Describe*", "ssm:Get*", "ssm:List*"),
    "/IAMFullAccess": ("iam:*",),
    "/IAMReadOnlyAccess": ("iam:Generate*", "iam:Get*", "iam:List*", "iam:Simulate*"),
    "/AdministratorAccess": ("*",),
}


@dataclass(frozen=True)
class ManagedPolicy:
    path: str
    name: str
    actions: tuple[str, ...]

    @property
    def arn(self) -> str:
        return f"{AWS_POLICY_PREFIX}{self.path}{self.name}"

    @cached_property
    def policy_id(self) -> str:
        """Stable across restarts and machines: derived from the ARN."""
        digest = base64.b32encode(hashlib.sha256(self.arn.encode()).digest()).decode()
        return "ANPA" + digest[:17]

    @cached_property
    def document(self) -> str:
        statement = {"Effect": "Allow", "Action": list(self.actions), "Resource": "*"}
        return json.dumps({"Version": "2012-10-17", "Statement": [statement]}, indent=4)


def _policy(full_name: str, actions: tuple[str, ...]) -> ManagedPolicy:
    path, _, name = full_name.rpartition("/")
    return ManagedPolicy(path + "/", name, actions)


MANAGED_POLICIES: dict[str, ManagedPolicy] = {
    policy.arn: policy for policy in (_policy(n, a) for n, a in _ACTIONS.items())
}
