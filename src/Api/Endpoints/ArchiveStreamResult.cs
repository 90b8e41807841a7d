using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;
using TinkerServer.Application.Abstractions.Storage;

namespace TinkerServer.Api.Endpoints;

/// <summary>
/// Serves an open checkpoint archive. A plain whole-body GET (the SDK's download) is streamed by reading the
/// archive straight into the response pipe's buffers in <see cref="ChunkSize"/> pieces; everything else (HEAD,
/// Range, conditional requests) goes to ASP.NET Core's <see cref="FileStreamHttpResult"/>, which owns those rules.
/// <para>
/// Why not always the latter: it copies through a 64 KiB intermediate buffer with one flush per 64 KiB, which
/// held a 1 GiB loopback download well below nginx (bench/download). Reading into the pipe drops a memory copy
/// and makes one large socket write per chunk. Memory stays bounded: one chunk in flight per download.
/// </para>
/// </summary>
public sealed class ArchiveStreamResult : IResult, IStatusCodeHttpResult, IContentTypeHttpResult, IFileHttpResult
{
    /// <summary>Bytes read from storage and handed to the response per flush.</summary>
    internal const int ChunkSize = 1024 * 1024;

    private readonly ArtifactContent _content;

    public ArchiveStreamResult(ArtifactContent content, string contentType, string fileDownloadName)
    {
        _content = content;
        ContentType = contentType;
        FileDownloadName = fileDownloadName;
    }

    public int? StatusCode => StatusCodes.Status200OK;

    public string ContentType { get; }

    public string FileDownloadName { get; }

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        if (!IsPlainWholeBodyGet(httpContext.Request))
        {
            await TypedResults.Stream(_content.Stream, ContentType, FileDownloadName, _content.LastModified, enableRangeProcessing: true)
                .ExecuteAsync(httpContext);
            return;
        }

        await using (_content)
        {
            var response = httpContext.Response;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = ContentType;
            response.ContentLength = _content.Length;
            response.Headers.AcceptRanges = "bytes";
            var headers = response.GetTypedHeaders();
            headers.LastModified = TruncateToSeconds(_content.LastModified); // HTTP dates have whole seconds
            var disposition = new ContentDispositionHeaderValue("attachment");
            disposition.SetHttpFileName(FileDownloadName);
            response.Headers.ContentDisposition = disposition.ToString();

            try
            {
                await CopyAsync(_content.Stream, response.BodyWriter, _content.Length, httpContext.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                // The client went away mid-download; the headers are out, so the only honest end is an abort.
                httpContext.Abort();
            }
        }
    }

    /// <summary>GET without Range or validators: the only case where the whole body is sent unconditionally.</summary>
    internal static bool IsPlainWholeBodyGet(HttpRequest request)
    {
        var headers = request.Headers;
        return HttpMethods.IsGet(request.Method)
            && headers.Range.Count == 0
            && headers.IfRange.Count == 0
            && headers.IfMatch.Count == 0
            && headers.IfNoneMatch.Count == 0
            && headers.IfModifiedSince.Count == 0
            && headers.IfUnmodifiedSince.Count == 0;
    }

    private static async Task CopyAsync(Stream source, System.IO.Pipelines.PipeWriter writer, long length, CancellationToken cancellationToken)
    {
        var remaining = length;
        while (remaining > 0)
        {
            var memory = writer.GetMemory((int)Math.Min(ChunkSize, remaining));
            if (memory.Length > remaining)
            {
                memory = memory[..(int)remaining];
            }

            var read = await source.ReadAsync(memory, cancellationToken);
            if (read == 0)
            {
                // Shorter than announced (truncated on disk): abort rather than let the client wait for bytes.
                throw new IOException($"The archive ended {remaining} bytes before its announced length.");
            }

            writer.Advance(read);
            remaining -= read;
            var flushed = await writer.FlushAsync(cancellationToken);
            if (flushed.IsCanceled || flushed.IsCompleted)
            {
                return;
            }
        }
    }

    private static DateTimeOffset TruncateToSeconds(DateTimeOffset value) =>
        value.AddTicks(-(value.Ticks % TimeSpan.TicksPerSecond));
}
