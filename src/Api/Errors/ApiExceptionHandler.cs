using FluentValidation;
using Microsoft.AspNetCore.Diagnostics;
using TinkerServer.Application.Abstractions.Compute;
using TinkerServer.Application.Abstractions.Persistence;
using TinkerServer.Application.Abstractions.Storage;
using TinkerServer.Application.Common;
using TinkerServer.Domain.Common;

namespace TinkerServer.Api.Errors;

/// <summary>
/// The one place exceptions become HTTP answers: domain and application errors map to the codes of the
/// wire contract; anything else is a 500 without internals. Deterministic retryable codes say
/// x-should-retry: false so the SDK does not repeat them for minutes.
/// </summary>
public sealed partial class ApiExceptionHandler(ILogger<ApiExceptionHandler> logger) : IExceptionHandler
{
    /// <summary>425 Too Early: the checkpoint exists but is still being written (not in StatusCodes).</summary>
    public const int TooEarly = 425;

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var (status, detail) = Map(exception);
        if (status >= 500)
        {
            LogUnhandled(logger, exception, httpContext.Request.Method, httpContext.Request.Path);
        }
        else if (exception is ArtifactPathEscapeException)
        {
            // Answered as a plain 404, but an operator must see that a path tried to leave the checkpoint root.
            LogEscape(logger, exception, httpContext.Request.Method, httpContext.Request.Path);
        }

        if (httpContext.Response.HasStarted)
        {
            return false;
        }

        httpContext.Response.Clear();
        httpContext.Response.StatusCode = status;
        if (ErrorHeaders.IsRetriedBySdk(status))
        {
            httpContext.Response.Headers[ErrorHeaders.ShouldRetry] = "false";
        }

        await httpContext.Response.WriteAsJsonAsync(new ErrorBody(detail), ApiJson.Options, cancellationToken);
        return true;
    }

    public static (int Status, string Detail) Map(Exception exception) => exception switch
    {
        ValidationException v => (StatusCodes.Status422UnprocessableEntity, Describe(v)),
        InvalidIdentifierException => (StatusCodes.Status422UnprocessableEntity, exception.Message),
        InvalidCheckpointPathException => (StatusCodes.Status400BadRequest, exception.Message),
        DomainRuleViolationException => (StatusCodes.Status400BadRequest, exception.Message),
        InvalidComputeRequestException => (StatusCodes.Status400BadRequest, exception.Message),
        CheckpointNotReadyException => (TooEarly, exception.Message),
        NotFoundException => (StatusCodes.Status404NotFound, exception.Message),
        ForbiddenException => (StatusCodes.Status403Forbidden, exception.Message),
        ConflictException => (StatusCodes.Status409Conflict, exception.Message),
        ArtifactExistsException => (StatusCodes.Status409Conflict, exception.Message),
        DuplicateKeyException => (StatusCodes.Status409Conflict, "The resource already exists."),
        ArtifactPathEscapeException => (StatusCodes.Status404NotFound, "Not found."),
        Wire.WireFormatException w => (w.StatusCode, w.Message),
        BadHttpRequestException b when b.StatusCode == StatusCodes.Status413PayloadTooLarge =>
            (StatusCodes.Status413PayloadTooLarge, "Request body too large."),
        BadHttpRequestException b => (StatusCodes.Status422UnprocessableEntity, $"Invalid request: {b.Message}"),
        _ => (StatusCodes.Status500InternalServerError, "Internal server error."),
    };

    private static string Describe(ValidationException exception)
    {
        var messages = exception.Errors.Select(e => e.ErrorMessage).Distinct().ToList();
        return messages.Count == 0 ? "Invalid request." : string.Join(" ", messages);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a storage path outside the checkpoint root for {Method} {Path}")]
    private static partial void LogEscape(ILogger logger, Exception exception, string method, string path);

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled exception for {Method} {Path}")]
    private static partial void LogUnhandled(ILogger logger, Exception exception, string method, string path);
}
