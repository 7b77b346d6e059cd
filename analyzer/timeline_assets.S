/* The timeline page's style and script, built into the command as
 * NUL-terminated strings (timeline_html.c writes them inline). */
    .section .rodata
    .global et_timeline_page_css
    .type et_timeline_page_css, @object
et_timeline_page_css:
    .incbin "analyzer/timeline_page.css"
    .byte 0
    .size et_timeline_page_css, . - et_timeline_page_css

    .global et_timeline_page_js
    .type et_timeline_page_js, @object
et_timeline_page_js:
    .incbin "analyzer/timeline_page.js"
    .byte 0
    .size et_timeline_page_js, . - et_timeline_page_js

    .section .note.GNU-stack, "", @progbits
