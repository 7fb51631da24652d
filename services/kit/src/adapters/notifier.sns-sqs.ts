/**
 * Notifier on Amazon SNS + SQS: a topic per notification topic, a queue per subscriber, subscribed with raw message
 * delivery (the SQS body is our JSON, attributes pass through). Everything is created idempotently: topic, queue,
 * the queue policy that lets the topic send to it, and the subscription (reused when it exists). Receiving long-polls;
 * ack deletes the message; release sets its visibility to 0. `endpoint` points it at moto in tests.
 * A dead-letter queue is SQS's redrive policy on the queue (maxReceiveCount), set idempotently.
 * SNS/SQS names allow [A-Za-z0-9_-]: other characters (the dots of `exchange.user.events.v1`) become `-`.
 */
import {
  SNSClient,
  CreateTopicCommand,
  ListSubscriptionsByTopicCommand,
  PublishBatchCommand,
  PublishCommand,
  SubscribeCommand,
  type Subscription as SnsSubscription,
} from "@aws-sdk/client-sns";
import {
  SQSClient,
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SetQueueAttributesCommand,
} from "@aws-sdk/client-sqs";
import type { NotificationEvent, NotificationQueue, Notifier, QueueOptions, ReceivedNotification, ReceiveOptions } from "../ports/notifier.port.js";

export interface SnsSqsNotifierOptions {
  readonly region?: string;
  /** one endpoint for both services (moto, LocalStack); omitted for AWS */
  readonly endpoint?: string;
  /** prefixed to topic and queue names (e.g. the environment: `prod-`) */
  readonly namePrefix?: string;
}

/** Entries per SNS PublishBatch call (its maximum). */
const SNS_BATCH = 10;

/** An event as an SNS message: our JSON as the body, its id and type as attributes subscribers can filter on. */
function snsMessage(event: NotificationEvent) {
  return {
    Message: JSON.stringify({ id: event.id, type: event.type, payload: event.payload, attributes: event.attributes ?? {} }),
    MessageAttributes: {
      eventId: { DataType: "String", StringValue: event.id },
      eventType: { DataType: "String", StringValue: event.type },
    },
  };
}

export function awsName(prefix: string, name: string): string {
  return (prefix + name).replace(/[^A-Za-z0-9_-]/g, "-").slice(0, 256);
}

export class SnsSqsNotifier implements Notifier {
  private readonly sns: SNSClient;
  private readonly sqs: SQSClient;
  private readonly topicArns = new Map<string, string>();
  private readonly prefix: string;

  constructor(options: SnsSqsNotifierOptions = {}) {
    const config = { region: options.region ?? process.env.AWS_REGION ?? "us-east-1", endpoint: options.endpoint };
    this.sns = new SNSClient(config);
    this.sqs = new SQSClient(config);
    this.prefix = options.namePrefix ?? "";
  }

  private async topicArn(topic: string): Promise<string> {
    let arn = this.topicArns.get(topic);
    if (!arn) {
      const out = await this.sns.send(new CreateTopicCommand({ Name: awsName(this.prefix, topic) }));
      arn = out.TopicArn!;
      this.topicArns.set(topic, arn);
    }
    return arn;
  }

  async ensureTopic(topic: string): Promise<void> {
    await this.topicArn(topic);
  }

  async publish(topic: string, event: NotificationEvent): Promise<void> {
    await this.sns.send(new PublishCommand({ TopicArn: await this.topicArn(topic), ...snsMessage(event) }));
  }

  /** PublishBatch, ten entries a call (SNS's maximum); a failed entry fails the batch (the relay publishes it again). */
  async publishBatch(topic: string, events: readonly NotificationEvent[]): Promise<void> {
    const topicArn = await this.topicArn(topic);
    for (let from = 0; from < events.length; from += SNS_BATCH) {
      const entries = events.slice(from, from + SNS_BATCH).map((event, index) => ({ Id: String(index), ...snsMessage(event) }));
      const out = await this.sns.send(new PublishBatchCommand({ TopicArn: topicArn, PublishBatchRequestEntries: entries }));
      const failed = out.Failed ?? [];
      if (failed.length > 0) throw new Error(`SNS refused ${failed.length} of ${entries.length} events: ${failed.map((f) => `${f.Code} ${f.Message ?? ""}`).join("; ")}`);
    }
  }

  async openQueue(topic: string, queue: string, options: QueueOptions = {}): Promise<NotificationQueue> {
    const topicArn = await this.topicArn(topic);
    const { QueueUrl } = await this.sqs.send(new CreateQueueCommand({ QueueName: awsName(this.prefix, queue) }));
    const queueUrl = QueueUrl!;
    const attrs = await this.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn", "Policy", "RedrivePolicy"] }));
    const queueArn = attrs.Attributes!.QueueArn!;
    const policy = mergePolicy(attrs.Attributes?.Policy, queueArn, topicArn);
    if (policy) await this.sqs.send(new SetQueueAttributesCommand({ QueueUrl: queueUrl, Attributes: { Policy: policy } }));
    if (options.deadLetter) {
      const dlq = await this.createQueue(options.deadLetter.queue);
      const redrive = JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: options.deadLetter.maxReceives });
      if (!sameRedrive(attrs.Attributes?.RedrivePolicy, dlq.arn, options.deadLetter.maxReceives)) {
        await this.sqs.send(new SetQueueAttributesCommand({ QueueUrl: queueUrl, Attributes: { RedrivePolicy: redrive } }));
      }
    }
    if (!(await this.subscribed(topicArn, queueArn))) {
      await this.sns.send(
        new SubscribeCommand({
          TopicArn: topicArn,
          Protocol: "sqs",
          Endpoint: queueArn,
          Attributes: { RawMessageDelivery: "true" },
          ReturnSubscriptionArn: true,
        }),
      );
    }
    return new SqsQueue(this.sqs, queueUrl);
  }

  async openDeadLetterQueue(queue: string): Promise<NotificationQueue> {
    return new SqsQueue(this.sqs, (await this.createQueue(queue)).url);
  }

  private async createQueue(queue: string): Promise<{ url: string; arn: string }> {
    const { QueueUrl } = await this.sqs.send(new CreateQueueCommand({ QueueName: awsName(this.prefix, queue) }));
    const attrs = await this.sqs.send(new GetQueueAttributesCommand({ QueueUrl: QueueUrl!, AttributeNames: ["QueueArn"] }));
    return { url: QueueUrl!, arn: attrs.Attributes!.QueueArn! };
  }

  private async subscribed(topicArn: string, queueArn: string): Promise<boolean> {
    let token: string | undefined;
    do {
      const out = await this.sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn, NextToken: token }));
      if ((out.Subscriptions ?? []).some((s: SnsSubscription) => s.Protocol === "sqs" && s.Endpoint === queueArn)) return true;
      token = out.NextToken;
    } while (token);
    return false;
  }

  async close(): Promise<void> {
    this.sns.destroy();
    this.sqs.destroy();
  }
}

function sameRedrive(existing: string | undefined, arn: string, maxReceives: number): boolean {
  if (!existing) return false;
  const policy = JSON.parse(existing) as { deadLetterTargetArn?: string; maxReceiveCount?: number | string };
  return policy.deadLetterTargetArn === arn && Number(policy.maxReceiveCount) === maxReceives;
}

/** The queue policy with a statement allowing `topicArn` to send; undefined when it is already there. */
function mergePolicy(existing: string | undefined, queueArn: string, topicArn: string): string | undefined {
  const policy = existing ? (JSON.parse(existing) as { Version: string; Statement: Record<string, unknown>[] }) : { Version: "2012-10-17", Statement: [] };
  const sid = `sns-${topicArn.split(":").pop()}`.slice(0, 100);
  if (policy.Statement.some((s) => s.Sid === sid)) return undefined;
  policy.Statement.push({
    Sid: sid,
    Effect: "Allow",
    Principal: { Service: "sns.amazonaws.com" },
    Action: "sqs:SendMessage",
    Resource: queueArn,
    Condition: { ArnEquals: { "aws:SourceArn": topicArn } },
  });
  return JSON.stringify(policy);
}

class SqsQueue implements NotificationQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly url: string,
  ) {}

  async receive(options: ReceiveOptions = {}): Promise<ReceivedNotification[]> {
    if (options.signal?.aborted) return [];
    const out = await this.sqs
      .send(
      new ReceiveMessageCommand({
        QueueUrl: this.url,
        MaxNumberOfMessages: Math.min(Math.max(options.max ?? 10, 1), 10),
        WaitTimeSeconds: Math.min(Math.ceil((options.waitMs ?? 0) / 1000), 20),
        VisibilityTimeout: Math.ceil((options.visibilityTimeoutMs ?? 30_000) / 1000),
        MessageSystemAttributeNames: ["ApproximateReceiveCount"],
        MessageAttributeNames: ["All"],
      }),
      { abortSignal: options.signal },
    )
      .catch((error: unknown) => {
        // Aborted: nothing was received (a message taken by the cut request comes back after its visibility).
        if (options.signal?.aborted) return { Messages: [] };
        throw error;
      });
    return (out.Messages ?? []).map((m) => {
      const body = JSON.parse(m.Body ?? "{}") as NotificationEvent;
      const event: NotificationEvent = { id: body.id, type: body.type, payload: body.payload, attributes: body.attributes ?? {} };
      return { event, receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? "1"), receipt: m.ReceiptHandle! };
    });
  }

  async ack(message: ReceivedNotification): Promise<void> {
    await this.sqs.send(new DeleteMessageCommand({ QueueUrl: this.url, ReceiptHandle: message.receipt }));
  }

  async release(message: ReceivedNotification, delayMs = 0): Promise<void> {
    const seconds = Math.min(Math.ceil(Math.max(delayMs, 0) / 1000), 12 * 3600);
    await this.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: this.url, ReceiptHandle: message.receipt, VisibilityTimeout: seconds }));
  }

  async close(): Promise<void> {}
}
