namespace TinkerServer.Api.Wire;

/// <summary>
/// A request body the client sent that cannot be decoded or is internally inconsistent. Carries the HTTP
/// status to answer with (422 undecodable / inconsistent, 400 well-formed but unsupported, 413 too large,
/// 415 unknown Content-Type or Content-Encoding); all of them are non-retryable for the SDK.
/// </summary>
public sealed class WireFormatException : Exception
{
    public WireFormatException(int statusCode, string message)
        : base(message)
    {
        StatusCode = statusCode;
    }

    public WireFormatException(int statusCode, string message, Exception innerException)
        : base(message, innerException)
    {
        StatusCode = statusCode;
    }

    public WireFormatException()
        : this(StatusCodes.Status422UnprocessableEntity, "The request body could not be decoded.")
    {
    }

    public WireFormatException(string message)
        : this(StatusCodes.Status422UnprocessableEntity, message)
    {
    }

    public WireFormatException(string message, Exception innerException)
        : this(StatusCodes.Status422UnprocessableEntity, message, innerException)
    {
    }

    public int StatusCode { get; }

    internal static WireFormatException Unprocessable(string message) => new(StatusCodes.Status422UnprocessableEntity, message);

    internal static WireFormatException Unprocessable(string message, Exception inner) => new(StatusCodes.Status422UnprocessableEntity, message, inner);

    internal static WireFormatException Unsupported(string message) => new(StatusCodes.Status400BadRequest, message);
}
