namespace TinkerServer.Application.Common;

/// <summary>The resource does not exist or is not visible to the caller (404).</summary>
public sealed class NotFoundException(string message) : Exception(message);

/// <summary>The caller presented credentials that do not grant this (403).</summary>
public sealed class ForbiddenException(string message) : Exception(message);

/// <summary>The request conflicts with the state of the resource (409, never retried by the SDK's choice).</summary>
public sealed class ConflictException(string message) : Exception(message);
