namespace TinkerServer.Domain.Common;

/// <summary>Base of every rule violation raised by the domain. The Api maps each subtype to one status code.</summary>
public abstract class DomainException(string message) : Exception(message);

/// <summary>An identifier from a client is not well formed (422).</summary>
public sealed class InvalidIdentifierException(string message) : DomainException(message);

/// <summary>A checkpoint path or identifier is semantically wrong: unknown kind, missing or contradicting type (400).</summary>
public sealed class InvalidCheckpointPathException(string message) : DomainException(message);

/// <summary>A request is well formed but breaks a rule of the aggregate it targets (400).</summary>
public sealed class DomainRuleViolationException(string message) : DomainException(message);

/// <summary>The checkpoint exists but is still being written (425).</summary>
public sealed class CheckpointNotReadyException(string message) : DomainException(message);
