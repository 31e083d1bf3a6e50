import { Token } from 'aws-cdk-lib';

/** Options for a header test route. */
export interface HeaderTestRouteOptions {
  /**
   * Also require the request to come from `testListenerAllowedCidrs` (at most four: an ALB rule
   * has five condition values and the header takes one). Anyone who can reach the production
   * host and sends the header otherwise reaches the green slot, which runs a release nobody has
   * approved yet.
   * @default false
   */
  readonly restrictToAllowedCidrs?: boolean;
}

/**
 * What the construct passes on for the test route: `Custom::BlueGreenRoutes`'s `TestHeaderName`,
 * `TestHeaderValue` and `TestSourceCidrs` (all undefined for a test port: the resource takes
 * `TestListenerArn`), and the configuration's `testHeader`.
 */
export interface TestRouteBinding {
  /**
   * The header the rule matches.
   * @default - none: a test port
   */
  readonly headerName?: string;
  /**
   * The value it must have.
   * @default - any value matches
   */
  readonly headerValue?: string;
  /**
   * The source addresses the rule also requires.
   * @default - any source
   */
  readonly sourceCidrs?: string[];
  /**
   * The header line a request needs to reach green (`X-Release-Test: green`).
   * @default - none: a test port
   */
  readonly headerLine?: string;
}

/** What a test route is checked against. */
export interface TestRouteValidationContext {
  /** The production listener's port. */
  readonly productionPort: number;
  /**
   * `testListenerAllowedCidrs`, when given.
   * @default - not given: the VPC's CIDR block
   */
  readonly allowedCidrs?: string[];
}

/** An HTTP header condition's name: 1-40 RFC 7230 token characters (Elastic Load Balancing API reference, HttpHeaderConditionConfig). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,40}$/;
/** A value: at most 128 characters, `*` and `?` wildcards (same reference); printable ASCII here, so it can be typed into a curl line. */
const HEADER_VALUE = /^[\x21-\x7e](?:[\x20-\x7e]{0,126}[\x21-\x7e])?$/;
/** "Condition values per rule: 5" and "Condition wildcards per rule: 5" (Quotas for your Application Load Balancers). */
const MAX_CONDITION_VALUES = 5;
const MAX_WILDCARDS = 5;

/**
 * How testers, the pre-approval tests and the approval email reach the green slot before it is
 * approved. The control plane owns the rule like the production one: CloudFormation never moves
 * it, and every swap, rollback and step keeps it on the slot production does not serve.
 */
export abstract class TestRoute {
  /**
   * A second listener on the load balancer, open to `testListenerAllowedCidrs` only: today's
   * behaviour and the default.
   * @param port the test listener's port. @default - `testPort`: 8443 with a certificate, 8080 without
   */
  public static port(port?: number): TestRoute {
    return new PortRoute(port);
  }

  /**
   * A rule on the production listener, ahead of the production rule, that forwards requests
   * carrying the header to the green slot: no second port (which some networks block) and no
   * certificate for one. Requests without the header reach production as before.
   * @param name the header, e.g. `X-Release-Test`
   * @param value the value it must have; `*` and `?` are wildcards. @default - any value
   * @param options whether the rule also requires `testListenerAllowedCidrs`
   */
  public static header(name: string, value?: string, options: HeaderTestRouteOptions = {}): TestRoute {
    return new HeaderRoute(name, value, options.restrictToAllowedCidrs ?? false);
  }

  /** `port` or `header`. */
  public abstract readonly kind: string;

  /** The test listener's port, for `port`; undefined when the default (`testPort`) applies, or for `header`. */
  public abstract readonly listenerPort?: number;

  /**
   * Problems, as sentences naming the value received and what was expected (empty when valid).
   * `allowedCidrs` is `testListenerAllowedCidrs` when given; unresolved tokens are not checked.
   * @param context the production port and `testListenerAllowedCidrs`
   */
  public abstract validate(context: TestRouteValidationContext): string[];

  /**
   * What the construct passes on: the route's properties and the header line, given `testListenerAllowedCidrs` (or the default list).
   * @param allowedCidrs `testListenerAllowedCidrs`, or the VPC's CIDR block
   */
  public abstract bind(allowedCidrs: string[]): TestRouteBinding;
}

class PortRoute extends TestRoute {
  public readonly kind = 'port';

  constructor(public readonly listenerPort: number | undefined) {
    super();
  }

  public validate(context: TestRouteValidationContext): string[] {
    const port = this.listenerPort;
    if (port === undefined || Token.isUnresolved(port)) return [];
    if (!Number.isInteger(port) || port < 1 || port > 65535) return [`testRoute port must be a whole number from 1 to 65535 (got ${port}).`];
    if (port === context.productionPort) return [`testRoute port must differ from the production port ${context.productionPort} (got ${port}); for one port, use TestRoute.header(…).`];
    return [];
  }

  public bind(): TestRouteBinding {
    return {};
  }
}

class HeaderRoute extends TestRoute {
  public readonly kind = 'header';
  public readonly listenerPort = undefined;

  constructor(
    private readonly name: string,
    private readonly value: string | undefined,
    private readonly restricted: boolean,
  ) {
    super();
  }

  public validate(context: TestRouteValidationContext): string[] {
    const problems: string[] = [];
    const { name, value } = this;
    if (!Token.isUnresolved(name)) {
      if (typeof name !== 'string' || !HEADER_NAME.test(name)) {
        problems.push(`testRoute header name must be 1-40 letters, digits or !#$%&'*+.^_\`|~- (got ${JSON.stringify(name)}).`);
      } else if (name.toLowerCase() === 'host') {
        problems.push('testRoute header name cannot be Host (got "Host"): the load balancer matches the host with a host condition.');
      }
    }
    if (value !== undefined && !Token.isUnresolved(value)) {
      if (!HEADER_VALUE.test(value)) problems.push(`testRoute header value must be 1-128 printable characters without leading or trailing spaces (got ${JSON.stringify(value)}).`);
      else if ((value.match(/[*?]/g) ?? []).length > MAX_WILDCARDS) problems.push(`testRoute header value may hold at most ${MAX_WILDCARDS} wildcards (* or ?) (got ${JSON.stringify(value)}).`);
    }
    const cidrs = context.allowedCidrs;
    if (this.restricted && cidrs !== undefined && !Token.isUnresolved(cidrs) && cidrs.length > MAX_CONDITION_VALUES - 1) {
      problems.push(`testRoute header with restrictToAllowedCidrs takes at most ${MAX_CONDITION_VALUES - 1} testListenerAllowedCidrs: a rule has ${MAX_CONDITION_VALUES} condition values and the header takes one (got ${cidrs.length}).`);
    }
    return problems;
  }

  public bind(allowedCidrs: string[]): TestRouteBinding {
    return {
      headerName: this.name,
      ...(this.value !== undefined ? { headerValue: this.value } : {}),
      ...(this.restricted ? { sourceCidrs: [...allowedCidrs] } : {}),
      // Any value matches when none is required; a request still has to send one.
      headerLine: `${this.name}: ${this.value ?? 'green'}`,
    };
  }
}
