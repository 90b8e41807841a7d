namespace TinkerServer.Api.Wire.Training;

/// <summary>
/// Turns a forward / forward_backward HTTP body (protobuf or JSON, optionally zstd) into a
/// <see cref="ForwardBackwardWireRequest"/>. Every client mistake surfaces as <see cref="WireFormatException"/>.
/// </summary>
public sealed class ForwardBackwardRequestReader
{
    private readonly WireLimits _limits;
    private readonly WireBodyReader _bodyReader;

    public ForwardBackwardRequestReader(WireLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        limits.Validate();
        _limits = limits;
        _bodyReader = new WireBodyReader(limits);
    }

    public Task<ForwardBackwardWireRequest> ReadAsync(HttpRequest request, ForwardBackwardRoute route, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return ReadAsync(route, request.ContentType, request.Headers.ContentEncoding.ToString(), request.ContentLength, request.Body, cancellationToken);
    }

    public async Task<ForwardBackwardWireRequest> ReadAsync(
        ForwardBackwardRoute route,
        string? contentType,
        string? contentEncoding,
        long? contentLength,
        Stream body,
        CancellationToken cancellationToken)
    {
        // Decide the format before reading, so a wrong Content-Type costs no body read.
        var mediaType = WireContentTypes.MediaTypeOf(contentType);
        var protobuf = WireContentTypes.IsProtobuf(mediaType);
        if (!protobuf && !WireContentTypes.IsJson(mediaType))
        {
            throw new WireFormatException(
                StatusCodes.Status415UnsupportedMediaType,
                $"Content-Type '{contentType}' is not supported; send {WireContentTypes.Protobuf} or {WireContentTypes.Json}.");
        }

        var bytes = await _bodyReader.ReadAsync(body, contentEncoding, contentLength, cancellationToken);
        return Decode(bytes.Span, protobuf, route);
    }

    /// <summary>Decodes an already decompressed body.</summary>
    public ForwardBackwardWireRequest Decode(ReadOnlySpan<byte> body, bool protobuf, ForwardBackwardRoute route) => protobuf
        ? ProtoForwardBackwardRequestMapper.Decode(body, route, _limits)
        : JsonForwardBackwardRequestMapper.Decode(body, route, _limits);
}
